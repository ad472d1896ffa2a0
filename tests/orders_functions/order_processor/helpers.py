"""What the order_processor tests send and read back."""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.orders_functions.conftest import received
from tests.orders_functions.sqs_harness import QueueHarness


def order(order_id: str = "o-1", total: str = "120.50", **overrides: Any) -> dict[str, Any]:
    return {
        "event_type": "order.created",
        "order_id": order_id,
        "customer_id": "c-1",
        "customer_tier": "premium",
        "total": total,
        "currency": "EUR",
        "items": [{"sku": "sku-1", "quantity": 2, "unit_price": "60.25"}],
        **overrides,
    }


def send(env: QueueHarness, body: Any) -> str:
    text = body if isinstance(body, str) else json.dumps(body)
    return str(env.sqs.send_message(QueueUrl=env.queue_url, MessageBody=text)["MessageId"])


def published(env: QueueHarness) -> list[dict[str, Any]]:
    assert env.listener_url is not None
    return received(env.sqs, env.listener_url)


def orders_table() -> Any:
    return boto3.resource("dynamodb").Table("orders")


def stored_orders() -> dict[str, dict[str, Any]]:
    return {item["order_id"]: item for item in orders_table().scan()["Items"]}


def reasons(env: QueueHarness) -> dict[str, str]:
    """DLQ body -> failure_reason."""
    return {m["Body"]: m["MessageAttributes"]["failure_reason"]["StringValue"] for m in env.dead_letters()}


def bus_events(env: QueueHarness) -> list[dict[str, Any]]:
    assert env.bus_listener_url is not None
    return [message["body"] for message in received(env.sqs, env.bus_listener_url)]
