"""moto-backed AWS for handler tests: the app's tables and queues, created as the stacks define them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from event_constructs.event_queue import DEAD_LETTER_HEADROOM_BYTES, SQS_MAX_MESSAGE_BYTES
from event_runtime.attempts import MESSAGE_KEY_ATTRIBUTE
from event_runtime.environment import ConsumerSettings
from event_runtime.settings import FunctionSettings
from orders_functions.analytics.settings import AnalyticsSettings
from orders_functions.balance_updater.settings import BalanceUpdaterSettings
from orders_functions.notification.settings import NotificationSettings
from orders_functions.order_processor.settings import OrderProcessorSettings
from orders_functions.payment.settings import PaymentSettings
from stacks.processing_stack import FIFO_MAX_RECEIVE_COUNT, MAX_ATTEMPTS, STANDARD_MAX_RECEIVE_COUNT
from tests.orders_functions.sqs_harness import QueueHarness

ATTEMPTS_TABLE = "attempts"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def create_queue_pair(sqs: Any, name: str, fifo: bool = False) -> tuple[str, str]:
    """A work queue and its DLQ as EventQueue makes them (sizes, redrive, FIFO settings)."""
    suffix = ".fifo" if fifo else ""
    fifo_attributes = {"FifoQueue": "true"} if fifo else {}
    dlq_url = sqs.create_queue(
        QueueName=f"{name}-dlq{suffix}",
        Attributes={**fifo_attributes, "MaximumMessageSize": str(SQS_MAX_MESSAGE_BYTES)},
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    max_receive_count = FIFO_MAX_RECEIVE_COUNT if fifo else STANDARD_MAX_RECEIVE_COUNT
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})
    if fifo:
        fifo_attributes |= {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}
    queue_url = sqs.create_queue(
        QueueName=f"{name}{suffix}",
        Attributes={
            "VisibilityTimeout": "300",
            "RedrivePolicy": redrive,
            "MaximumMessageSize": str(SQS_MAX_MESSAGE_BYTES - DEAD_LETTER_HEADROOM_BYTES),
            **fifo_attributes,
        },
    )["QueueUrl"]
    return queue_url, dlq_url


def set_environment(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def consumer_environment(
    monkeypatch: pytest.MonkeyPatch, queue_url: str, dlq_url: str, settings: FunctionSettings
) -> None:
    """What the stacks give a consumer, from the same classes: QueueConsumer's (with the app's attempts table and
    limit) and the function's own ``settings``."""
    if not _table_exists(ATTEMPTS_TABLE):
        create_table(ATTEMPTS_TABLE, [(MESSAGE_KEY_ATTRIBUTE, "HASH")])
    consumer = ConsumerSettings(
        queue_url=queue_url,
        dead_letter_queue_url=dlq_url,
        max_attempts=MAX_ATTEMPTS,
        max_receive_count=FIFO_MAX_RECEIVE_COUNT if queue_url.endswith(".fifo") else STANDARD_MAX_RECEIVE_COUNT,
        attempts_table=ATTEMPTS_TABLE,
    )
    set_environment(monkeypatch, {**consumer.to_environment(), **settings.to_environment()})


def _table_exists(name: str) -> bool:
    return name in boto3.client("dynamodb").list_tables()["TableNames"]


def create_table(name: str, keys: list[tuple[str, str]]) -> Any:
    dynamodb = boto3.resource("dynamodb")
    return dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": kind} for key, kind in keys],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key, _ in keys],
        BillingMode="PAY_PER_REQUEST",
    )


def create_topic_with_listener(sqs: Any, topic_name: str) -> tuple[str, str]:
    """A topic and a queue subscribed to it with raw delivery, to see what was published."""
    sns = boto3.client("sns")
    topic_arn = sns.create_topic(Name=topic_name)["TopicArn"]
    listener_url = sqs.create_queue(QueueName=f"{topic_name}-listener")["QueueUrl"]
    listener_arn = sqs.get_queue_attributes(QueueUrl=listener_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=listener_arn, Attributes={"RawMessageDelivery": "true"})
    return topic_arn, listener_url


def create_bus_with_listener(sqs: Any, bus_name: str) -> str:
    """An event bus and a queue that a rule feeds with every event of the bus."""
    events = boto3.client("events")
    events.create_event_bus(Name=bus_name)
    listener_url = sqs.create_queue(QueueName=f"{bus_name}-bus-listener")["QueueUrl"]
    listener_arn = sqs.get_queue_attributes(QueueUrl=listener_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="everything", EventBusName=bus_name, EventPattern=json.dumps({"source": [{"prefix": ""}]}))
    events.put_targets(Rule="everything", EventBusName=bus_name, Targets=[{"Id": "listener", "Arn": listener_arn}])
    return str(listener_url)


def received(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Receive (and delete) everything on ``queue_url``: bodies parsed, attributes flattened to strings."""
    found = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
            "Messages", []
        )
        if not batch:
            return found
        for message in batch:
            attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
            found.append({"body": json.loads(message["Body"]), "attributes": attributes})
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def setup_order_env(monkeypatch: pytest.MonkeyPatch) -> QueueHarness:
    from orders_functions.order_processor import handler

    handler.runtime.cache_clear()
    sqs = boto3.client("sqs")
    queue_url, dlq_url = create_queue_pair(sqs, "order-processing")
    topic_arn, listener_url = create_topic_with_listener(sqs, "order-events")
    bus_listener_url = create_bus_with_listener(sqs, "orders")
    create_table("orders", [("order_id", "HASH")])
    consumer_environment(
        monkeypatch,
        queue_url,
        dlq_url,
        OrderProcessorSettings(orders_table="orders", order_events_topic_arn=topic_arn, orders_bus_name="orders"),
    )
    harness = QueueHarness(sqs, queue_url, dlq_url)
    harness.listener_url = listener_url
    harness.bus_listener_url = bus_listener_url
    return harness


@pytest.fixture
def order_env(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[QueueHarness]:
    from orders_functions.order_processor import handler

    yield setup_order_env(monkeypatch)
    handler.runtime.cache_clear()


def setup_balance_env(monkeypatch: pytest.MonkeyPatch) -> QueueHarness:
    from orders_functions.balance_updater import handler

    handler.runtime.cache_clear()
    sqs = boto3.client("sqs")
    queue_url, dlq_url = create_queue_pair(sqs, "balance-updates", fifo=True)
    create_table("balances", [("account_id", "HASH"), ("entry", "RANGE")])
    consumer_environment(
        monkeypatch,
        queue_url,
        dlq_url,
        BalanceUpdaterSettings(balances_table="balances"),
    )
    return QueueHarness(sqs, queue_url, dlq_url)


@pytest.fixture
def balance_env(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[QueueHarness]:
    from orders_functions.balance_updater import handler

    yield setup_balance_env(monkeypatch)
    handler.runtime.cache_clear()


def setup_payment_env(monkeypatch: pytest.MonkeyPatch) -> QueueHarness:
    from orders_functions.payment import handler

    handler.runtime.cache_clear()
    sqs = boto3.client("sqs")
    queue_url, dlq_url = create_queue_pair(sqs, "payment-processing")
    balance_url = sqs.create_queue(
        QueueName="balance-updates.fifo", Attributes={"FifoQueue": "true", "DeduplicationScope": "messageGroup"}
    )["QueueUrl"]
    create_table("payments", [("order_id", "HASH")])
    consumer_environment(
        monkeypatch,
        queue_url,
        dlq_url,
        PaymentSettings(payments_table="payments", balance_updates_queue_url=balance_url),
    )
    harness = QueueHarness(sqs, queue_url, dlq_url)
    harness.listener_url = balance_url
    return harness


@pytest.fixture
def payment_env(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[QueueHarness]:
    from orders_functions.payment import handler

    yield setup_payment_env(monkeypatch)
    handler.runtime.cache_clear()


def setup_notification_env(monkeypatch: pytest.MonkeyPatch) -> QueueHarness:
    from orders_functions.notification import handler

    handler.runtime.cache_clear()
    sqs = boto3.client("sqs")
    queue_url, dlq_url = create_queue_pair(sqs, "notification-service")
    create_table("notifications", [("notification_id", "HASH")])
    consumer_environment(
        monkeypatch,
        queue_url,
        dlq_url,
        NotificationSettings(notifications_table="notifications"),
    )
    return QueueHarness(sqs, queue_url, dlq_url)


@pytest.fixture
def notification_env(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[QueueHarness]:
    from orders_functions.notification import handler

    yield setup_notification_env(monkeypatch)
    handler.runtime.cache_clear()


def setup_analytics_env(monkeypatch: pytest.MonkeyPatch) -> QueueHarness:
    """analytics-ingestion subscribed to an order-events topic without raw delivery (the SNS envelope)."""
    from orders_functions.analytics import handler

    handler.runtime.cache_clear()
    sqs = boto3.client("sqs")
    sns = boto3.client("sns")
    queue_url, dlq_url = create_queue_pair(sqs, "analytics-ingestion")
    topic_arn = sns.create_topic(Name="order-events")["TopicArn"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    boto3.client("s3").create_bucket(Bucket="data-lake")
    consumer_environment(
        monkeypatch,
        queue_url,
        dlq_url,
        AnalyticsSettings(data_lake_bucket="data-lake"),
    )
    harness = QueueHarness(sqs, queue_url, dlq_url)
    harness.topic_arn = topic_arn  # what the tests publish to (analytics itself reads no topic)
    return harness


@pytest.fixture
def analytics_env(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[QueueHarness]:
    from orders_functions.analytics import handler

    yield setup_analytics_env(monkeypatch)
    handler.runtime.cache_clear()
