"""Drive a handler the way Lambda's SQS event source mapping does, against moto's SQS.

``deliver`` receives up to ``batch_size`` messages (so receive counts, visibility and the
queue's own redrive are real), builds the Lambda event, calls the handler, and deletes every
record the handler did not report in ``batchItemFailures``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from localcloud.compat.sqs_event_source import lambda_record


@dataclass
class FakeLambdaContext:
    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "request-id"
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "stream"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class Delivery:
    message_ids: list[str]
    failed_ids: list[str]
    response: dict[str, Any]
    receipts: dict[str, str] = field(default_factory=dict)


class QueueHarness:
    def __init__(self, sqs: Any, queue_url: str, dead_letter_queue_url: str) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.dead_letter_queue_url = dead_letter_queue_url
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.last: Delivery | None = None
        self.listener_url: str | None = None  # a queue that sees what the handler published, if any
        self.bus_listener_url: str | None = None  # a queue that sees what the handler put on a bus, if any
        self.topic_arn: str | None = None  # a topic the tests publish to, if any
        self._receipts: dict[str, str] = {}  # message id -> receipt handle of its latest receive

    def event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Records": [self._record(message) for message in messages]}

    def deliver(self, handler: Any, batch_size: int = 10) -> Delivery:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=batch_size,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            self.last = Delivery([], [], {"batchItemFailures": []})
            return self.last
        self._receipts.update({m["MessageId"]: m["ReceiptHandle"] for m in messages})
        try:
            response = handler(self.event(messages), FakeLambdaContext())
            failed = [item["itemIdentifier"] for item in response["batchItemFailures"]]
        except Exception as error:  # Lambda: a failed invocation leaves the whole batch on the queue
            response = {"error": repr(error)}
            failed = [m["MessageId"] for m in messages]
        receipts = {m["MessageId"]: m["ReceiptHandle"] for m in messages}
        for message_id, receipt in receipts.items():
            if message_id not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt)
        self.last = Delivery([m["MessageId"] for m in messages], failed, response, receipts)
        return self.last

    def let_time_pass(self) -> None:
        """Make the failed records of the last delivery visible again (their backoff has 'elapsed')."""
        assert self.last is not None
        for message_id in self.last.failed_ids:
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=self.last.receipts[message_id], VisibilityTimeout=0
            )

    def let_every_visibility_timeout_pass(self) -> None:
        """Make every message received so far and still on the queue visible again (a killed batch, backoff)."""
        for message_id, receipt in list(self._receipts.items()):
            try:
                self.sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=receipt, VisibilityTimeout=0)
            except self.sqs.exceptions.ClientError:
                del self._receipts[message_id]  # deleted meanwhile

    def drain(self, handler: Any, rounds: int = 20, batch_size: int = 10) -> list[Delivery]:
        """Deliver until the queue is empty, letting backoff elapse between rounds."""
        deliveries = []
        for _ in range(rounds):
            delivery = self.deliver(handler, batch_size)
            deliveries.append(delivery)
            if not delivery.message_ids:
                break
            self.let_time_pass()
        return deliveries

    def dead_letters(self) -> list[dict[str, Any]]:
        """Every message in the DLQ (received once, then made visible again)."""
        found: dict[str, dict[str, Any]] = {}
        for _ in range(5):
            batch = self.sqs.receive_message(
                QueueUrl=self.dead_letter_queue_url,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
                VisibilityTimeout=0,
            ).get("Messages", [])
            for message in batch:
                found[message["MessageId"]] = message
            if not batch:
                break
        return list(found.values())

    def depth(self, queue_url: str | None = None) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=queue_url or self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return lambda_record(message, self.queue_arn)


def sqs_size(body: str, attributes: dict[str, dict[str, str]]) -> int:
    """A message's size as SQS counts it against MaximumMessageSize: the body and every attribute's name,
    type and value (moto counts the body only)."""
    return len(body.encode()) + sum(
        len(name.encode()) + len(value["DataType"].encode()) + len(value.get("StringValue", "").encode())
        for name, value in attributes.items()
    )
