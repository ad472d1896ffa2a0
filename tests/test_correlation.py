"""One correlation id, set where an order enters, followed across every hop.

SQS message attribute -> order_processor (log) -> SNS message attribute and body ->
payment (log) -> balance-updates.fifo message attribute -> balance_updater (log);
order_processor -> EventBridge detail -> the synthesized InputTransformer -> the Step
Functions input -> a workflow task (log). Handlers run in process against moto.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from event_runtime.settings import FunctionSettings
from orders_functions.balance_updater.settings import BalanceUpdaterSettings
from orders_functions.order_processor.settings import OrderProcessorSettings
from orders_functions.payment.settings import PaymentSettings
from tests.cdk_app import SynthesizedApp
from tests.orders_functions.conftest import (
    consumer_environment,
    create_bus_with_listener,
    create_queue_pair,
    create_table,
    received,
)
from tests.orders_functions.sqs_harness import FakeLambdaContext, QueueHarness
from tests.routing import apply_input_transformer

CORRELATION_ID = "corr-trace-0001"


@pytest.fixture
def system(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with mock_aws():
        from orders_functions.balance_updater import handler as balance_updater
        from orders_functions.order_processor import handler as order_processor
        from orders_functions.payment import handler as payment

        sqs, sns = boto3.client("sqs"), boto3.client("sns")
        orders_url, orders_dlq = create_queue_pair(sqs, "order-processing")
        payment_url, payment_dlq = create_queue_pair(sqs, "payment-processing")
        balance_url, balance_dlq = create_queue_pair(sqs, "balance-updates", fifo=True)
        topic_arn = sns.create_topic(Name="order-events")["TopicArn"]
        payment_arn = sqs.get_queue_attributes(QueueUrl=payment_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=payment_arn, Attributes={"RawMessageDelivery": "true"}
        )
        bus_listener = create_bus_with_listener(sqs, "orders")
        for name, keys in {
            "orders": [("order_id", "HASH")],
            "payments": [("order_id", "HASH")],
            "balances": [("account_id", "HASH"), ("entry", "RANGE")],
        }.items():
            create_table(name, keys)

        def configure(module: Any, queue_url: str, dlq_url: str, settings: FunctionSettings) -> QueueHarness:
            """Each runtime reads its environment once, when first built."""
            consumer_environment(monkeypatch, queue_url, dlq_url, settings)
            module.runtime.cache_clear()
            module.runtime()
            module.logger.setLevel("INFO")
            return QueueHarness(sqs, queue_url, dlq_url)

        harnesses = {
            "order_processor": configure(
                order_processor,
                orders_url,
                orders_dlq,
                OrderProcessorSettings(
                    orders_table="orders", order_events_topic_arn=topic_arn, orders_bus_name="orders"
                ),
            ),
            "payment": configure(
                payment,
                payment_url,
                payment_dlq,
                PaymentSettings(payments_table="payments", balance_updates_queue_url=balance_url),
            ),
            "balance_updater": configure(
                balance_updater, balance_url, balance_dlq, BalanceUpdaterSettings(balances_table="balances")
            ),
        }
        yield {
            "sqs": sqs,
            "bus_listener": bus_listener,
            "handlers": harnesses,
            "modules": (order_processor, payment, balance_updater),
        }
        for module in (order_processor, payment, balance_updater):
            module.runtime.cache_clear()
            module.logger.setLevel("WARNING")


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The handlers' structured logs. (Here all handlers share one service name, so one Powertools
    formatter; in Lambda each function has its own process.)"""
    from orders_functions.order_processor import handler as order_processor

    buffer = io.StringIO()
    stream = logging.StreamHandler(buffer)
    stream.setFormatter(order_processor.logger.registered_formatter)
    target = logging.getLogger(order_processor.logger.name)
    target.addHandler(stream)
    yield buffer
    target.removeHandler(stream)


def logged(buffer: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]
    buffer.seek(0)
    buffer.truncate()
    return lines


def test_one_correlation_id_across_every_hop(
    system: dict[str, Any], dev_app: SynthesizedApp, log_lines: io.StringIO
) -> None:
    order_processor, payment, balance_updater = system["modules"]
    harness = system["handlers"]
    system["sqs"].send_message(
        QueueUrl=harness["order_processor"].queue_url,
        MessageBody=json.dumps(
            {
                "event_type": "order.created",
                "order_id": "o-trace",
                "customer_id": "acct-7",
                "customer_tier": "enterprise",
                "total": "2500.00",
                "currency": "EUR",
            }
        ),
        MessageAttributes={"correlation_id": {"DataType": "String", "StringValue": CORRELATION_ID}},
    )
    harness["order_processor"].deliver(order_processor.lambda_handler)
    payment_messages = system["sqs"].receive_message(
        QueueUrl=harness["payment"].queue_url, MessageAttributeNames=["All"], VisibilityTimeout=0
    )["Messages"]
    (sns_message,) = payment_messages
    assert sns_message["MessageAttributes"]["correlation_id"]["StringValue"] == CORRELATION_ID
    assert json.loads(sns_message["Body"])["correlation_id"] == CORRELATION_ID

    harness["payment"].deliver(payment.lambda_handler)
    harness["balance_updater"].deliver(balance_updater.lambda_handler)
    logs = logged(log_lines)
    messages = {line["message"] for line in logs if line.get("correlation_id") == CORRELATION_ID}
    assert {"order applied", "payment", "balance update"} <= messages

    (bus_event,) = [m["body"] for m in received(system["sqs"], system["bus_listener"])]
    assert bus_event["detail"]["correlation_id"] == CORRELATION_ID

    rules = [
        r for r in dev_app.templates["OrdersOrchestration"]["Resources"].values() if r["Type"] == "AWS::Events::Rule"
    ]
    transformer = rules[0]["Properties"]["Targets"][0]["InputTransformer"]
    flow_input = apply_input_transformer(transformer["InputPathsMap"], transformer["InputTemplate"], bus_event)
    assert flow_input == {
        "order_id": "o-trace",
        "customer_id": "acct-7",
        "amount": 2500.0,
        "correlation_id": CORRELATION_ID,
        "priority": "high",
    }

    from orders_functions.workflow import handler as workflow

    workflow.logger.setLevel("INFO")
    try:
        workflow.screen_for_fraud(flow_input, FakeLambdaContext())
        workflow.logger.info("screened")
    finally:
        workflow.logger.setLevel("WARNING")
    task_logs = logged(log_lines)
    assert any(line.get("correlation_id") == CORRELATION_ID for line in task_logs)
