"""SQS API requests per 1,000 messages consumed: our path against a one-message-at-a-time loop.

Every consumer below drains the same 1,000 messages from a moto queue; a botocore
``before-call`` hook counts the SQS requests it makes (sending the messages is not counted:
it is the same for every consumer). The handler acknowledges every record, because on the
success path our handlers make no SQS request of their own (they call SQS only to
dead-letter or to back off a failed record).

- ``lambda-esm``: what Lambda's SQS event source mapping does for ``order-processing``
  (batch size 10): ReceiveMessage of up to 10, one invocation, then one DeleteMessageBatch
  for the records not reported in ``batchItemFailures``.
- ``one-at-a-time``: the seed's consumer shape, receive one message, process it, delete it.
- ``seed-as-printed``: the seed's loop as its listing has it: ReceiveMessage of up to 10,
  then DeleteMessage per message (the handler tests' harness makes the same requests).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

MESSAGES = 1000
QUEUE_NAME = "bench-order-processing"


def _ack_all(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    return {"batchItemFailures": []}


def _counting_client() -> tuple[Any, Counter[str]]:
    import boto3

    calls: Counter[str] = Counter()
    client = boto3.client("sqs", region_name="us-east-1")

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    client.meta.events.register("before-call.sqs", count)
    return client, calls


class Source:
    """Puts the messages on the queue 10 at a time, each wave once the previous one is consumed.

    moto's ReceiveMessage costs grow with the queue's depth (it recomputes queue attributes per
    message), so 1,000 messages at once make the one-at-a-time loop take minutes. In waves the
    requests are the same (a consumer never sees an empty queue before the last message).
    """

    WAVE = 10

    def __init__(self, queue_url: str) -> None:
        import boto3

        self.queue_url = queue_url
        self.sent = 0
        self._sender = boto3.client("sqs", region_name="us-east-1")  # not counted
        self.queue_arn = self._sender.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def top_up(self, processed: int) -> None:
        if processed < self.sent or self.sent >= MESSAGES:
            return
        for start in range(self.sent, min(self.sent + self.WAVE, MESSAGES), 10):
            entries = [{"Id": str(i), "MessageBody": f'{{"n": {start + i}}}'} for i in range(10)]
            self._sender.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        self.sent = min(self.sent + self.WAVE, MESSAGES)


def lambda_esm(sqs: Any, source: Source) -> int:
    """Receive up to 10, invoke once, DeleteMessageBatch the successes; until the queue is empty."""
    from localcloud.compat.sqs_event_source import lambda_record

    processed = 0
    while True:
        source.top_up(processed)
        messages = sqs.receive_message(
            QueueUrl=source.queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return processed
        response = _ack_all({"Records": [lambda_record(m, source.queue_arn) for m in messages]}, None)
        failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
        done = [m for m in messages if m["MessageId"] not in failed]
        sqs.delete_message_batch(
            QueueUrl=source.queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
        )
        processed += len(done)


def _process(body: str) -> None:
    """The work of the one-at-a-time loop: irrelevant to the request count."""
    json.loads(body)


def one_at_a_time(sqs: Any, source: Source, batch: int = 1) -> int:
    """Receive, process, delete: one message per DeleteMessage, ``batch`` per ReceiveMessage."""
    processed = 0
    while True:
        source.top_up(processed)
        messages = sqs.receive_message(QueueUrl=source.queue_url, MaxNumberOfMessages=batch).get("Messages", [])
        if not messages:
            return processed
        for message in messages:
            _process(message["Body"])
            sqs.delete_message(QueueUrl=source.queue_url, ReceiptHandle=message["ReceiptHandle"])
            processed += 1


def seed_as_printed(sqs: Any, source: Source) -> int:
    return one_at_a_time(sqs, source, batch=10)


CONSUMERS: dict[str, Callable[[Any, Source], int]] = {
    "lambda-esm": lambda_esm,
    "one-at-a-time": one_at_a_time,
    "seed-as-printed": seed_as_printed,
}


def measure() -> dict[str, Any]:
    """Requests per 1,000 messages for each consumer, by operation."""
    from moto import mock_aws

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    results: dict[str, Any] = {}
    for name, consume in CONSUMERS.items():
        with mock_aws():
            sqs, calls = _counting_client()
            queue_url = sqs.create_queue(QueueName=QUEUE_NAME, Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
            calls.clear()
            processed = consume(sqs, Source(queue_url))
            if processed != MESSAGES:
                raise RuntimeError(f"{name} consumed {processed} of {MESSAGES} messages")
            total = sum(calls.values())
            results[name] = {
                "requests_per_1000": total * 1000 / processed,
                "per_message": total / processed,
                "by_operation": dict(calls),
            }
    return results
