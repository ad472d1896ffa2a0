"""moto-backed AWS for handler tests: the app's tables and queues, created as the stacks define them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stacks.data_stack import IDEMPOTENCY_KEY_ATTRIBUTE
from tests.lambdas.sqs_harness import QueueHarness

MAX_RECEIVE_COUNT = 5


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def create_queue_pair(sqs: Any, name: str, fifo: bool = False) -> tuple[str, str]:
    suffix = ".fifo" if fifo else ""
    fifo_attributes = {"FifoQueue": "true"} if fifo else {}
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq{suffix}", Attributes=fifo_attributes)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT})
    if fifo:
        fifo_attributes |= {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}
    queue_url = sqs.create_queue(
        QueueName=f"{name}{suffix}",
        Attributes={"VisibilityTimeout": "300", "RedrivePolicy": redrive, **fifo_attributes},
    )["QueueUrl"]
    return queue_url, dlq_url


def create_table(name: str, keys: list[tuple[str, str]]) -> Any:
    dynamodb = boto3.resource("dynamodb")
    return dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": kind} for key, kind in keys],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key, _ in keys],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def order_env(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[QueueHarness]:
    from order_processor import handler

    sqs = boto3.client("sqs")
    queue_url, dlq_url = create_queue_pair(sqs, "order-processing")
    create_table("orders", [("order_id", "HASH")])
    create_table("idempotency", [(IDEMPOTENCY_KEY_ATTRIBUTE, "HASH")])
    for name, value in {
        "QUEUE_URL": queue_url,
        "DEAD_LETTER_QUEUE_URL": dlq_url,
        "MAX_RECEIVE_COUNT": str(MAX_RECEIVE_COUNT),
        "ORDERS_TABLE": "orders",
        "IDEMPOTENCY_TABLE": "idempotency",
    }.items():
        monkeypatch.setenv(name, value)
    handler.runtime.cache_clear()
    yield QueueHarness(sqs, queue_url, dlq_url)
    handler.runtime.cache_clear()


@pytest.fixture
def balance_env(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[QueueHarness]:
    from balance_updater import handler

    sqs = boto3.client("sqs")
    queue_url, dlq_url = create_queue_pair(sqs, "balance-updates", fifo=True)
    create_table("balances", [("account_id", "HASH"), ("entry", "RANGE")])
    for name, value in {
        "QUEUE_URL": queue_url,
        "DEAD_LETTER_QUEUE_URL": dlq_url,
        "MAX_RECEIVE_COUNT": str(MAX_RECEIVE_COUNT),
        "BALANCES_TABLE": "balances",
    }.items():
        monkeypatch.setenv(name, value)
    handler.runtime.cache_clear()
    yield QueueHarness(sqs, queue_url, dlq_url)
    handler.runtime.cache_clear()
