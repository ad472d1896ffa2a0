"""What the QueueWorker tests share (with the ``sqs`` fixture of conftest.py): a work queue with a 2 s visibility
and its DLQ, short worker settings, and probes of what the queue holds."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from event_runtime import WorkerSettings


def queues(sqs: Any, *, fifo: bool = False) -> tuple[str, str]:
    suffix, attributes = (".fifo", {"FifoQueue": "true"}) if fifo else ("", {})
    dlq = sqs.create_queue(QueueName=f"work-dlq{suffix}", Attributes=attributes)["QueueUrl"]
    queue = sqs.create_queue(QueueName=f"work{suffix}", Attributes={**attributes, "VisibilityTimeout": "2"})
    return queue["QueueUrl"], dlq


def settings(queue: str, dlq: str, **overrides: Any) -> WorkerSettings:
    values: dict[str, Any] = dict(
        queue_url=queue,
        dead_letter_queue_url=dlq,
        max_attempts=3,
        max_receive_count=10,
        visibility_timeout_seconds=2,
        heartbeat_seconds=1,
        max_in_hand_seconds=600,
        drain_seconds=2,
        concurrency=4,
        batch_size=10,
    )
    return WorkerSettings(**{**values, **overrides})


def quiet() -> Logger:
    return Logger(service="worker-test", level="CRITICAL")


def send(sqs: Any, queue: str, bodies: list[str], group: str | None = None) -> None:
    for n, body in enumerate(bodies):
        extra = {"MessageGroupId": group, "MessageDeduplicationId": f"{group}-{n}-{body}"} if group else {}
        sqs.send_message(QueueUrl=queue, MessageBody=body, **extra)


def receivable(sqs: Any, queue: str) -> list[str]:
    """Bodies another consumer could receive right now (made visible again at once: only a probe)."""
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages") or []
    return [m["Body"] for m in messages]


def dead_letters(sqs: Any, dlq: str) -> list[dict[str, Any]]:
    found = []
    while messages := sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
        "Messages"
    ):
        found.extend(messages)
    return found
