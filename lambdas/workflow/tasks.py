"""The steps of the high-value order flow, each small and idempotent.

Input of the flow (from the EventBridge InputTransformer):
``{"order_id": str, "customer_id": str, "amount": number, "priority": "high"}``.

- :func:`screen_for_fraud` and :func:`check_credit_limit` are pure: same input, same answer.
- :func:`reserve_inventory`, :func:`release_inventory` and :func:`assign_account_manager`
  write to the workflow table with conditional writes keyed on the order, so a retried or
  re-run step changes nothing twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

#: Above this amount an order is refused as likely fraud; above REVIEW it is flagged.
FRAUD_REJECT_ABOVE = Decimal("50000")
FRAUD_REVIEW_ABOVE = Decimal("20000")
DEFAULT_CREDIT_LIMIT = Decimal("30000")
ACCOUNT_MANAGERS = ("am-ada", "am-grace", "am-linus", "am-margaret")


class CreditLimitExceeded(Exception):  # noqa: N818 (the name is the Step Functions error name)
    """The order is above the customer's credit limit (a business outcome: not retried)."""


class InventoryUnavailable(Exception):  # noqa: N818 (the name is the Step Functions error name)
    """Inventory could not be reserved (a business outcome: not retried; compensation runs)."""


def _amount(order: dict[str, Any]) -> Decimal:
    return Decimal(str(order["amount"]))


def screen_for_fraud(order: dict[str, Any]) -> dict[str, Any]:
    amount = _amount(order)
    if amount > FRAUD_REJECT_ABOVE:
        return {"verdict": "reject", "reason": f"amount {amount} is above {FRAUD_REJECT_ABOVE}"}
    if amount > FRAUD_REVIEW_ABOVE:
        return {"verdict": "review", "reason": f"amount {amount} is above {FRAUD_REVIEW_ABOVE}"}
    return {"verdict": "approve", "reason": "within limits"}


def check_credit_limit(order: dict[str, Any], limit: Decimal = DEFAULT_CREDIT_LIMIT) -> dict[str, Any]:
    amount = _amount(order)
    if amount > limit:
        raise CreditLimitExceeded(f"order {order['order_id']}: {amount} is above the credit limit {limit}")
    return {"approved": True, "limit": float(limit), "headroom": float(limit - amount)}


class WorkflowStore:
    """One item per order: its inventory reservation and its account manager."""

    def __init__(self, table: Any, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._table = table
        self._clock = clock

    def reserve_inventory(self, order: dict[str, Any], unavailable: Sequence[str] = ()) -> dict[str, Any]:
        if order["order_id"] in unavailable:
            raise InventoryUnavailable(f"no stock for order {order['order_id']}")
        try:
            self._table.update_item(
                Key={"order_id": order["order_id"]},
                UpdateExpression="SET reservation = :reserved, reserved_at = :now",
                ConditionExpression="attribute_not_exists(reservation)",
                ExpressionAttributeValues={":reserved": "RESERVED", ":now": self._clock().isoformat()},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return {"reservation": "RESERVED", "outcome": "already_reserved"}
        return {"reservation": "RESERVED", "outcome": "reserved"}

    def release_inventory(self, order: dict[str, Any]) -> dict[str, Any]:
        """Compensation: undo a reservation, if there is one. Safe to run any number of times."""
        try:
            self._table.update_item(
                Key={"order_id": order["order_id"]},
                UpdateExpression="SET reservation = :released, released_at = :now",
                ConditionExpression="reservation = :reserved",
                ExpressionAttributeValues={
                    ":released": "RELEASED",
                    ":reserved": "RESERVED",
                    ":now": self._clock().isoformat(),
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return {"reservation": "NONE_HELD", "outcome": "nothing_to_release"}
        return {"reservation": "RELEASED", "outcome": "released"}

    def assign_account_manager(self, order: dict[str, Any]) -> dict[str, Any]:
        digest = int(hashlib.sha256(order["customer_id"].encode()).hexdigest(), 16)
        manager = ACCOUNT_MANAGERS[digest % len(ACCOUNT_MANAGERS)]
        self._table.update_item(
            Key={"order_id": order["order_id"]},
            UpdateExpression="SET account_manager = if_not_exists(account_manager, :manager)",
            ExpressionAttributeValues={":manager": manager},
        )
        return {"account_manager": manager}
