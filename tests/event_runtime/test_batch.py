"""event_runtime.batch: a consumer's batch on Powertools' processor, with the failure policy around each record.

Cases found by a review that tried to break the runtime half's claims (each failed before its fix).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from moto import mock_aws

from event_runtime import BatchConsumer, ConsumerSettings, PoisonMessageError, TransientError

ARN = "arn:aws:sqs:us-east-1:123456789012:"


def record(message_id: str, *, receives: int | None = 1, group: str | None = None, queue: str = "jobs") -> dict:
    made: dict[str, Any] = {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": "{}",
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": ARN + queue,
    }
    if receives is not None:
        made["attributes"] = {"ApproximateReceiveCount": str(receives), **({"MessageGroupId": group} if group else {})}
    return made


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def consumer(sqs: Any, process: Any, *, attempts_table: str | None = None) -> tuple[BatchConsumer, str]:
    queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    dlq = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
    settings = ConsumerSettings(
        queue_url=queue, dead_letter_queue_url=dlq, max_attempts=8, max_receive_count=40, attempts_table=attempts_table
    )
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    logger = Logger(level="CRITICAL")
    return BatchConsumer(process, logger=logger, settings=settings, sqs_client=sqs, dynamodb_client=dynamodb), dlq


def test_a_fifo_batch_keeps_each_groups_order_whatever_the_functions_environment_names(sqs: Any) -> None:
    """FIFO was judged by QUEUE_URL: records of a FIFO queue under another queue's settings ran out of order."""
    tried = []

    def process(message: Any) -> None:
        tried.append(message.message_id)
        if message.message_id == "a1":
            raise TransientError("later")

    handler, _ = consumer(sqs, process)  # its settings name the standard queue "jobs"
    batch = {"Records": [record(m, group=m[0].upper(), queue="orders.fifo") for m in ("a1", "b1", "a2")]}
    response = handler(batch, None)
    assert tried == ["a1", "b1"]  # a2 waits behind a1, its group's head; group B goes on
    assert response == {"batchItemFailures": [{"itemIdentifier": "a1"}, {"itemIdentifier": "a2"}]}


def test_a_record_without_attributes_still_reaches_the_dlq_with_its_reason(sqs: Any) -> None:
    def process(message: Any) -> None:
        raise PoisonMessageError("bad")

    handler, dlq = consumer(sqs, process)
    assert handler({"Records": [record("p", receives=None)]}, None) == {"batchItemFailures": []}
    (dead,) = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    assert dead["MessageAttributes"]["failure_reason"]["StringValue"] == "poison message: bad"


def test_the_backoff_still_grows_when_the_attempts_table_cannot_be_reached(sqs: Any) -> None:
    """DynamoDB throttled means the attempts table too: every retry was 'attempt 1' and came back in 10 s."""
    delays: list[int] = []
    sqs.meta.events.register(
        "before-parameter-build.sqs.ChangeMessageVisibility",
        lambda params, **_: delays.append(params["VisibilityTimeout"]),
    )

    def process(message: Any) -> None:
        raise TransientError("ProvisionedThroughputExceededException")

    handler, _ = consumer(sqs, process, attempts_table="no-such-table")
    for receives in (1, 2, 3, 4):
        handler({"Records": [record("m", receives=receives)]}, None)
    assert delays == [10, 20, 40, 80]
