"""moto for the runtime half's tests: a work queue and its DLQ, an attempts table, records as Lambda passes them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from moto import mock_aws

from event_runtime.attempts import MESSAGE_KEY_ATTRIBUTE
from event_runtime.environment import ConsumerSettings
from localcloud.compat import installed, sqs_fifo_redelivery_order
from tests.orders_functions.sqs_harness import QueueHarness

ATTEMPTS_TABLE = "attempts"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def sqs() -> Iterator[Any]:
    """moto's SQS, handing a FIFO group's messages out again in order, as SQS does (QueueWorker's tests)."""
    with mock_aws(), installed(sqs_fifo_redelivery_order):
        yield boto3.client("sqs")


def queue_pair(name: str = "jobs", *, fifo: bool = False) -> QueueHarness:
    """A work queue and its DLQ (of the same kind), and a harness that delivers the work queue's batches."""
    sqs = boto3.client("sqs")
    suffix = ".fifo" if fifo else ""
    attributes = {"FifoQueue": "true"} if fifo else {}
    dead_letter_queue = sqs.create_queue(QueueName=f"{name}-dlq{suffix}", Attributes=attributes)["QueueUrl"]
    queue = sqs.create_queue(QueueName=f"{name}{suffix}", Attributes=attributes)["QueueUrl"]
    return QueueHarness(sqs, queue, dead_letter_queue)


def attempts_table() -> str:
    boto3.client("dynamodb").create_table(
        TableName=ATTEMPTS_TABLE,
        KeySchema=[{"AttributeName": MESSAGE_KEY_ATTRIBUTE, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": MESSAGE_KEY_ATTRIBUTE, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return ATTEMPTS_TABLE


def settings_of(
    harness: QueueHarness, *, max_attempts: int = 3, max_receive_count: int = 10, **extra: Any
) -> ConsumerSettings:
    return ConsumerSettings(
        queue_url=harness.queue_url,
        dead_letter_queue_url=harness.dead_letter_queue_url,
        max_attempts=max_attempts,
        max_receive_count=max_receive_count,
        **extra,
    )


def record(
    body: str = "{}",
    *,
    message_id: str = "m-1",
    receives: int = 1,
    group: str | None = None,
    attributes: dict[str, str] | None = None,
    queue_arn: str = "arn:aws:sqs:us-east-1:123456789012:jobs",
) -> SQSRecord:
    """A record as Lambda passes it, without a queue behind it."""
    system = {"ApproximateReceiveCount": str(receives), **({"MessageGroupId": group} if group else {})}
    return SQSRecord(
        {
            "messageId": message_id,
            "receiptHandle": f"handle-{message_id}",
            "body": body,
            "attributes": system,
            "messageAttributes": {
                name: {"dataType": "String", "stringValue": value} for name, value in (attributes or {}).items()
            },
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
        }
    )


def dead_letter_attributes(message: dict[str, Any]) -> dict[str, str]:
    """A DLQ message's attributes, flattened to their string values."""
    return {name: value["StringValue"] for name, value in message.get("MessageAttributes", {}).items()}
