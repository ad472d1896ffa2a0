"""The order logic, free of Lambda and SQS: parse a message, apply it to the orders table once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from order_processor.models import OrderCancelled, OrderCreated, order_message_adapter
from orders_common.errors import PoisonMessageError, TransientError


def parse_order_message(body: str | None) -> OrderCreated | OrderCancelled:
    """The message in ``body``, or :class:`PoisonMessageError` saying what is wrong with it."""
    if not body:
        raise PoisonMessageError("empty message body")
    try:
        return order_message_adapter.validate_json(body)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or 'body'}: {issue['msg']}"
            for issue in error.errors(include_url=False)[:5]
        )
        raise PoisonMessageError(f"invalid order message: {problems}") from None


class OrderStore:
    """Writes orders; each write is conditional, so a repeated message changes nothing."""

    def __init__(self, table: Any, clock: Any = lambda: datetime.now(UTC)) -> None:
        self._table = table
        self._clock = clock

    def create(self, order: OrderCreated) -> dict[str, Any]:
        item = {
            **order.model_dump(mode="python", exclude={"event_type"}),
            "status": "CREATED",
            "created_at": self._clock().isoformat(),
        }
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(order_id)")
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return {"order_id": order.order_id, "outcome": "already_created"}
        return {"order_id": order.order_id, "outcome": "created"}

    def cancel(self, message: OrderCancelled) -> dict[str, Any]:
        try:
            self._table.update_item(
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
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            current: dict[str, Any] | None = error.response.get("Item")
            if current is None:
                # On a standard queue a cancellation can overtake its order: retry later.
                raise TransientError(f"order {message.order_id} not found (yet)") from None
            status = current.get("status", {}).get("S")
            if status == "CANCELLED":
                return {"order_id": message.order_id, "outcome": "already_cancelled"}
            raise PoisonMessageError(f"order {message.order_id} is {status} and cannot be cancelled") from None
        return {"order_id": message.order_id, "outcome": "cancelled"}

    def apply(self, message: OrderCreated | OrderCancelled) -> dict[str, Any]:
        if isinstance(message, OrderCreated):
            return self.create(message)
        return self.cancel(message)
