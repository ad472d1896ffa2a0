"""The steps of the high-value order flow, each small and idempotent.

Input of the flow (from the EventBridge InputTransformer):
``{"order_id": str, "customer_id": str, "amount": number, "priority": "high"}``.

- :func:`screen_for_fraud` and :func:`check_credit_limit` are pure: same input, same answer.
- :meth:`WorkflowStore.reserve_inventory`, :meth:`~WorkflowStore.release_inventory` and
  :meth:`~WorkflowStore.assign_account_manager` write to the workflow table with conditional
  writes keyed on the order and the execution (``$$.Execution.Id``), so a retried step changes
  nothing twice and a second execution of the same order changes nothing at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from event_runtime.errors import TransientError
from orders_functions.common.errors import is_conditional_check_failure
from orders_functions.common.limits import CorrelationId, Identifier

#: Above this amount an order is refused as likely fraud; above REVIEW it is flagged.
FRAUD_REJECT_ABOVE = Decimal("50000")
FRAUD_REVIEW_ABOVE = Decimal("20000")
DEFAULT_CREDIT_LIMIT = Decimal("30000")
ACCOUNT_MANAGERS = ("am-ada", "am-grace", "am-linus", "am-margaret")


class FlowInput(BaseModel):
    """What the high-value order flow receives from the rule's InputTransformer (the one source of its schema,
    ``schemas/flow-input.schema.json``). ``correlation_id`` is empty when the OrderCreated event had none:
    EventBridge renders a path missing from the event as empty text (null is accepted too)."""

    model_config = ConfigDict(extra="ignore", title="HighValueOrderFlowInput")

    order_id: Identifier
    customer_id: Identifier
    amount: Annotated[float, Field(ge=0)]
    correlation_id: CorrelationId | Literal[""] | None = None
    priority: Literal["high"] = "high"


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


class AlreadyHandled(Exception):  # noqa: N818 (the name is the Step Functions error name)
    """Another execution of the flow decided this order (EventBridge starts one per delivery, duplicates and
    replays included): this execution ends without touching the order (a business outcome: not retried)."""


#: ``reservation`` of a workflow item: stock held by ``held_by``; released by it (compensated); or the
#: order was decided by ``held_by`` without any stock held (it failed before reserving).
RESERVED = "RESERVED"
RELEASED = "RELEASED"
NONE_HELD = "NONE_HELD"


class MissingExecutionId(Exception):  # noqa: N818 (the name is the Step Functions error name)
    """A writing task was invoked without its execution's id (an execution of a definition older than
    ``$$.Execution.Id`` in the payload): it cannot tell its own reservation from another execution's, so it
    changes nothing. The flow does not retry it; a release that refuses tells an operator."""


#: Conditional writes tried when executions race on one order.
MAX_RACES = 5


class WorkflowStore:
    """One item per order: which execution decided it, the stock it holds, its account manager.

    The first execution to reserve (or to fail before reserving) claims the order; every other
    execution of the same order ends in ``AlreadyHandled``, and can release nothing but its own
    reservation. So a duplicate delivery, an archive replay or a re-run after compensation never
    approves an order without held stock, never releases the stock of an approved order, and
    changes no decided outcome.
    """

    def __init__(self, table: Any, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._table = table
        self._clock = clock

    def _get(self, order_id: str) -> dict[str, Any]:
        return dict(self._table.get_item(Key={"order_id": order_id}, ConsistentRead=True).get("Item") or {})

    def reserve_inventory(
        self, order: dict[str, Any], execution_id: str, unavailable: Sequence[str] = ()
    ) -> dict[str, Any]:
        order_id = order["order_id"]
        if order_id in unavailable:
            raise InventoryUnavailable(f"no stock for order {order_id}")
        try:
            self._table.update_item(
                Key={"order_id": order_id},
                UpdateExpression="SET reservation = :reserved, held_by = :execution, reserved_at = :now",
                ConditionExpression="attribute_not_exists(reservation)",
                ExpressionAttributeValues={
                    ":reserved": RESERVED,
                    ":execution": execution_id,
                    ":now": self._clock().isoformat(),
                },
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
            item = self._get(order_id)
            if item.get("reservation") == RESERVED and item.get("held_by") == execution_id:
                return {"reservation": RESERVED, "outcome": "already_reserved"}
            raise AlreadyHandled(
                f"order {order_id} was decided by execution {item.get('held_by', 'unknown')} "
                f"(reservation {item.get('reservation')}); this execution changes nothing"
            ) from None
        return {"reservation": RESERVED, "outcome": "reserved"}

    def release_inventory(self, order: dict[str, Any], execution_id: str) -> dict[str, Any]:
        """Compensation: undo this execution's reservation, if it holds one. Safe to run any number of times.

        An execution that holds nothing (it failed before reserving) records that it decided the
        order, unless another execution already did; it never releases another execution's stock.
        """
        order_id = order["order_id"]
        now = self._clock().isoformat()
        for _ in range(MAX_RACES):
            item = self._get(order_id)
            reservation, holder = item.get("reservation"), item.get("held_by")
            if reservation is None:
                update = (
                    "SET reservation = :none, held_by = :execution, decided_at = :now",
                    "attribute_not_exists(reservation)",
                )
                values = {":none": NONE_HELD, ":execution": execution_id, ":now": now}
                outcome = "nothing_to_release"
            elif holder != execution_id:
                return {"reservation": "NOT_MINE", "outcome": "nothing_to_release", "held_by": holder}
            elif reservation == RESERVED:
                update = (
                    "SET reservation = :released, released_at = :now",
                    "reservation = :reserved AND held_by = :execution",
                )
                values = {":released": RELEASED, ":reserved": RESERVED, ":execution": execution_id, ":now": now}
                outcome = "released"
            else:
                return {"reservation": reservation, "outcome": "already_released"}
            try:
                self._table.update_item(
                    Key={"order_id": order_id},
                    UpdateExpression=update[0],
                    ConditionExpression=update[1],
                    ExpressionAttributeValues=values,
                )
            except ClientError as error:
                if not is_conditional_check_failure(error):
                    raise
                continue  # another execution wrote meanwhile: look again
            return {"reservation": RELEASED if outcome == "released" else NONE_HELD, "outcome": outcome}
        raise TransientError(f"order {order_id}: executions kept racing on the workflow item")

    def assign_account_manager(self, order: dict[str, Any], execution_id: str) -> dict[str, Any]:
        digest = int(hashlib.sha256(order["customer_id"].encode()).hexdigest(), 16)
        manager = ACCOUNT_MANAGERS[digest % len(ACCOUNT_MANAGERS)]
        self._table.update_item(
            Key={"order_id": order["order_id"]},
            UpdateExpression="SET account_manager = if_not_exists(account_manager, :manager)",
            ExpressionAttributeValues={":manager": manager},
        )
        return {"account_manager": manager}
