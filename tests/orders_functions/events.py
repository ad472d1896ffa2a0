"""Order events as order_processor publishes them, for the subscriber handler tests."""

from __future__ import annotations

from typing import Any

from orders_functions.common.events import OrderEvent, message_attributes
from orders_functions.common.limits import order_event_id


def order_event(event_type: str = "order.created", order_id: str = "o-1", **fields: Any) -> OrderEvent:
    values: dict[str, Any] = {
        "event_id": order_event_id(order_id, event_type),
        "event_type": event_type,
        "order_id": order_id,
        "customer_id": "c-1",
        "customer_tier": "standard",
        "amount": "120.50",
        "currency": "EUR",
        "occurred_at": "2026-11-29T12:00:00+00:00",
        "correlation_id": f"corr-{order_id}",
        **fields,
    }
    return OrderEvent.model_validate(values)


def send_raw(sqs: Any, queue_url: str, event: OrderEvent | str) -> str:
    """Send as SNS raw message delivery would: the event as the body, its attributes as SQS attributes."""
    if isinstance(event, str):
        return str(sqs.send_message(QueueUrl=queue_url, MessageBody=event)["MessageId"])
    return str(
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=event.model_dump_json(exclude_none=True),
            MessageAttributes=message_attributes(event),
        )["MessageId"]
    )
