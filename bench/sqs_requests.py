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
- ``queue-worker``: :class:`event_runtime.QueueWorker` (the long-running consumer), 10 threads, with the
  settings of its docstring's example (visibility 30 s, heartbeat 10 s): long polls of up to 10, one
  DeleteMessageBatch per received batch, the heartbeat's ChangeMessageVisibilityBatch, and its one
  GetQueueAttributes (the queue's ARN) at start. It runs until idle, so its count includes the empty
  receives of its last seconds, while the last batch is worked on (the chapter's loops stop at their
  first empty receive).
- ``queue-worker, 5% slow``: the same worker and messages, every 20th message taking 2.5 s: longer than
  the visibility, so only the heartbeat keeps it from being received again. Durations are scaled down so
  that the row costs seconds (visibility 2 s, heartbeat 1 s, as the worker's tests run it: 2.5 s of work
  is to them what 37.5 s is to 30 s and 15 s). The chapter's loops are not run on it: they make no request
  while they work, so their counts would be the same, provided the visibility outlasts the work (with
  2 s, they would receive each slow message's batch again).

The handler of every worker row counts what it processed, so a message processed twice shows.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

MESSAGES = 1000
QUEUE_NAME = "bench-order-processing"
#: The worker rows: every SLOW_EVERY-th message of the slow row takes SLOW_SECONDS.
SLOW_EVERY = 20
SLOW_SECONDS = 2.5
#: The key of the receives that returned no message, in a count of :func:`_counting_client`.
EMPTY_RECEIVES = "ReceiveMessage (empty)"


def _ack_all(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    return {"batchItemFailures": []}


def _counting_client() -> tuple[Any, Counter[str]]:
    """An SQS client that counts its requests by operation, and its receives that returned nothing
    (``ReceiveMessage (empty)``, counted within ``ReceiveMessage`` too); thread-safe, for the worker's threads."""
    import boto3

    calls: Counter[str] = Counter()
    lock = threading.Lock()
    client = boto3.client("sqs", region_name="us-east-1")

    def count(model: Any, **_: Any) -> None:
        with lock:
            calls[model.name] += 1

    def count_empty(parsed: Any, **_: Any) -> None:
        if not parsed.get("Messages"):
            with lock:
                calls[EMPTY_RECEIVES] += 1

    client.meta.events.register("before-call.sqs", count)
    client.meta.events.register("after-call.sqs.ReceiveMessage", count_empty)
    return client, calls


class Source:
    """Puts the messages on the queue 10 at a time, each wave once the previous one is consumed.

    moto's ReceiveMessage costs grow with the queue's depth (it recomputes queue attributes per
    message), so 1,000 messages at once make the one-at-a-time loop take minutes. In waves the
    requests are the same (a consumer never sees an empty queue before the last message).
    """

    WAVE = 10

    def __init__(self, queue_url: str, total: int = MESSAGES) -> None:
        import boto3

        self.queue_url = queue_url
        self.total = total
        self.sent = 0
        #: What a consumer reports beside its requests (the worker: its report, messages processed twice).
        self.notes: dict[str, Any] = {}
        self._sender = boto3.client("sqs", region_name="us-east-1")  # not counted
        self.queue_arn = self._sender.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def top_up(self, processed: int) -> None:
        if processed < self.sent or self.sent >= self.total:
            return
        for start in range(self.sent, min(self.sent + self.WAVE, self.total), 10):
            count = min(10, self.total - start)
            entries = [{"Id": str(i), "MessageBody": f'{{"n": {start + i}}}'} for i in range(count)]
            self._sender.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        self.sent = min(self.sent + self.WAVE, self.total)

    def dead_letter_queue_url(self) -> str:
        """A DLQ for a consumer that needs one (the worker's settings name it; all succeed, so it stays empty)."""
        return str(self._sender.create_queue(QueueName=f"{QUEUE_NAME}-dlq")["QueueUrl"])


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


def queue_worker(sqs: Any, source: Source, *, visibility: int = 30, heartbeat: int = 10, slow_every: int = 0) -> int:
    """QueueWorker with 10 threads until the queue is idle; every ``slow_every``-th message takes SLOW_SECONDS.

    The source tops the queue up before each receive once the worker has received all it was sent, so that,
    as for the loops above, no receive finds the queue empty before the last message.
    """
    from aws_lambda_powertools import Logger

    from event_runtime import QueueWorker, WorkerSettings

    received = 0

    def top_up(**_: Any) -> None:
        source.top_up(received)

    def count_received(parsed: Any, **_: Any) -> None:
        nonlocal received
        received += len(parsed.get("Messages") or [])

    sqs.meta.events.register("before-call.sqs.ReceiveMessage", top_up)
    sqs.meta.events.register("after-call.sqs.ReceiveMessage", count_received)
    processed: Counter[str] = Counter()
    lock = threading.Lock()

    def process(record: Any) -> None:
        _process(record.body)
        if slow_every and json.loads(record.body)["n"] % slow_every == slow_every - 1:
            time.sleep(SLOW_SECONDS)
        with lock:
            processed[record.body] += 1

    dead_letter_queue = source.dead_letter_queue_url()
    settings = WorkerSettings(
        queue_url=source.queue_url,
        dead_letter_queue_url=dead_letter_queue,
        max_attempts=3,
        max_receive_count=10,
        visibility_timeout_seconds=visibility,
        heartbeat_seconds=heartbeat,
        max_in_hand_seconds=600,
        drain_seconds=2,  # so the long poll is 1 s: the idle worker stops soon after the last message
        concurrency=10,
        batch_size=10,
    )
    report = QueueWorker(
        process, settings=settings, logger=Logger(service="bench-worker", level="CRITICAL"), sqs_client=sqs
    ).run(until_idle=True)
    source.notes.update(
        {
            "processed_twice": sum(n - 1 for n in processed.values()),
            "slow_messages": sum(1 for n in range(source.total) if slow_every and n % slow_every == slow_every - 1),
            "heartbeat_extensions": report.heartbeat_extensions,
            "released": report.released,
            "not_deleted": report.not_deleted,
        }
    )
    return report.succeeded


CONSUMERS: dict[str, Callable[[Any, Source], int]] = {
    "lambda-esm": lambda_esm,
    "one-at-a-time": one_at_a_time,
    "seed-as-printed": seed_as_printed,
    "queue-worker": queue_worker,
    "queue-worker, 5% slow": partial(queue_worker, visibility=2, heartbeat=1, slow_every=SLOW_EVERY),
}


def measure(messages: int = MESSAGES, consumers: tuple[str, ...] = tuple(CONSUMERS)) -> dict[str, Any]:
    """Requests per 1,000 messages for each of ``consumers`` (each draining ``messages``), by operation."""
    from moto import mock_aws

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    results: dict[str, Any] = {}
    for name in consumers:
        consume = CONSUMERS[name]
        with mock_aws():
            sqs, calls = _counting_client()
            queue_url = sqs.create_queue(QueueName=QUEUE_NAME, Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
            calls.clear()
            source = Source(queue_url, messages)
            processed = consume(sqs, source)
            if processed != messages:
                raise RuntimeError(f"{name} consumed {processed} of {messages} messages")
            empty = calls.pop(EMPTY_RECEIVES, 0)
            total = sum(calls.values())
            results[name] = {
                "requests_per_1000": total * 1000 / processed,
                "per_message": total / processed,
                "by_operation": dict(calls),
                "empty_receives": empty,
                **source.notes,
            }
    return results
