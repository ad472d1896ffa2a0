"""The order logic, free of Lambda and SQS: parse a message, apply it to the orders table once,
and describe what happened as an :class:`~orders_common.events.OrderEvent`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError
from pydantic import ValidationError

from order_processor.models import OrderCancelled, OrderCreated, OrderMessageType, OrderUpdated, order_message_adapter
from orders_common.errors import PoisonMessageError, TransientError, describe_validation_error
from orders_common.events import OrderEvent

_deserialize = TypeDeserializer().deserialize


def parse_order_message(body: str | None) -> OrderMessageType:
    """The message in ``body``, or :class:`PoisonMessageError` saying what is wrong with it."""
    if not body or not body.strip():
        raise PoisonMessageError("empty message body")
    try:
        return order_message_adapter.validate_json(body)
    except ValidationError as error:
        raise PoisonMessageError(f"invalid order message: {describe_validation_error(error)}") from None


@dataclass(frozen=True)
class Applied:
    """The outcome of one message, and the order as it now stands."""

    outcome: str
    order: dict[str, Any]


def _is_condition_failure(error: ClientError) -> bool:
    return bool(error.response["Error"]["Code"] == "ConditionalCheckFailedException")


def _old_item(error: ClientError) -> dict[str, Any] | None:
    raw = error.response.get("Item")
    return None if raw is None else {key: _deserialize(value) for key, value in raw.items()}


class OrderStore:
    """Writes orders; each write is conditional, so a repeated message changes nothing."""

    def __init__(self, table: Any, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._table = table
        self._clock = clock

    def create(self, order: OrderCreated) -> Applied:
        item = {
            **order.model_dump(mode="python", exclude={"event_type"}),
            "status": "CREATED",
            "created_at": self._clock().isoformat(),
        }
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(order_id)")
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            return Applied("already_created", item)
        return Applied("created", item)

    def cancel(self, message: OrderCancelled) -> Applied:
        try:
            response = self._table.update_item(
                Key={"order_id": message.order_id},
                UpdateExpression="SET #status = :cancelled, cancelled_at = :now, cancel_reason = :reason",
                ConditionExpression="attribute_exists(order_id) AND #status = :created",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":cancelled": "CANCELLED",
                    ":created": "CREATED",
                    ":now": self._clock().isoformat(),
                    ":reason": message.reason,
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            current = _old_item(error)
            if current is None:
                # On a standard queue a cancellation can overtake its order: retry later.
                raise TransientError(f"order {message.order_id} not found (yet)") from None
            if current.get("status") == "CANCELLED":
                return Applied("already_cancelled", current)
            raise PoisonMessageError(
                f"order {message.order_id} is {current.get('status')} and cannot be cancelled"
            ) from None
        return Applied("cancelled", response["Attributes"])

    def update(self, message: OrderUpdated) -> Applied:
        try:
            response = self._table.update_item(
                Key={"order_id": message.order_id},
                UpdateExpression="SET last_note = :note, updated_at = :now, last_update_id = :update_id",
                ConditionExpression="attribute_exists(order_id)",
                ExpressionAttributeValues={
                    ":note": message.note,
                    ":now": self._clock().isoformat(),
                    ":update_id": message.update_id,
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            raise TransientError(f"order {message.order_id} not found (yet)") from None
        return Applied("updated", response["Attributes"])

    def apply(self, message: OrderMessageType) -> Applied:
        if isinstance(message, OrderCreated):
            return self.create(message)
        if isinstance(message, OrderCancelled):
            return self.cancel(message)
        return self.update(message)


def order_event(message: OrderMessageType, order: dict[str, Any], correlation_id: str, occurred_at: str) -> OrderEvent:
    """The event to publish once ``message`` has been applied to ``order``."""
    event_id = f"{message.order_id}:{message.event_type}"
    if isinstance(message, OrderUpdated):
        event_id = f"{event_id}:{message.update_id}"
    return OrderEvent(
        event_id=event_id,
        event_type=message.event_type,
        order_id=message.order_id,
        customer_id=order["customer_id"],
        customer_tier=order.get("customer_tier", "standard"),
        amount=None if isinstance(message, OrderUpdated) else order["total"],
        currency=order.get("currency", "USD"),
        occurred_at=occurred_at,
        correlation_id=correlation_id,
        internal=isinstance(message, OrderUpdated) and message.internal,
        note=message.note if isinstance(message, OrderUpdated) else None,
    )


def order_created_detail(order: OrderCreated, correlation_id: str) -> dict[str, Any]:
    """The detail of the OrderCreated event on the orders bus (schema: orders_common/schemas/order_created.json)."""
    return {
        "order_id": order.order_id,
        "customer_id": order.customer_id,
        "customer_tier": order.customer_tier,
        "total": float(order.total),
        "currency": order.currency,
        "item_count": sum(line.quantity for line in order.items),
        "correlation_id": correlation_id,
    }
