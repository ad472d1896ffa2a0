"""Turn order events into notification records (recipient, channel, message), once per event.

Sending the email or SMS is out of scope: a record in the notifications table is the result.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from orders_functions.common.errors import is_conditional_check_failure
from orders_functions.common.events import OrderEvent

#: Enterprise customers hear from their account manager; everyone else by email.
CHANNELS = {"standard": "email", "premium": "email", "enterprise": "account-manager"}


def compose(event: OrderEvent) -> str:
    amount = f" for {event.amount} {event.currency}" if event.amount is not None else ""
    if event.event_type == "order.created":
        return f"We received your order {event.order_id}{amount}."
    if event.event_type == "order.cancelled":
        return f"Your order {event.order_id} is cancelled; {event.amount} {event.currency} will be refunded."
    note = f": {event.note}" if event.note else ""
    return f"Update on your order {event.order_id}{note}"


class NotificationRecorder:
    def __init__(self, table: Any, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._table = table
        self._clock = clock

    def record(self, event: OrderEvent) -> dict[str, Any]:
        item = {
            "notification_id": event.event_id,
            "recipient": event.customer_id,
            "channel": CHANNELS[event.customer_tier],
            "message": compose(event),
            "order_id": event.order_id,
            "event_type": event.event_type,
            "correlation_id": event.correlation_id,
            "created_at": self._clock().isoformat(),
        }
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(notification_id)")
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
            return {"notification_id": event.event_id, "outcome": "already_recorded"}
        return {"notification_id": event.event_id, "outcome": "recorded"}
