"""Charge new orders and refund cancelled ones, each once, and never a refund without its charge.

A payment is a small state machine, one item per order in the payments table; every transition
is a write conditional on the state it leaves:

    (none) --order.created--> AUTHORIZED --charge sent--> CHARGE_SENT --refund sent--> REFUND_SENT
    (none) --order.cancelled--> CANCELLED (before any charge: nothing to charge, nothing to refund)

- ``order.created`` authorises the order (AUTHORIZED), sends its charge to ``balance-updates.fifo``
  (group = the customer's account, deduplication id = ``<order_id>.charge``), then records
  CHARGE_SENT. Any later order.created finds the item and sends nothing new.
- ``order.cancelled`` after a charge was sent sends the refund (``<order_id>.refund``, the charged
  amount back to the charged account), then records REFUND_SENT. If the charge may not be out yet
  (AUTHORIZED: a crash or a failed send between the two writes), the cancellation sends the charge
  first, then the refund, in that order in the account's FIFO group: the ledger applies a
  transaction once (:mod:`orders_functions.balance_updater.service`), so a charge sent twice is charged once.
- ``order.cancelled`` before the order (a standard queue reorders) records CANCELLED: the order
  is never charged, so there is nothing to refund, and nothing waits. So does an ``order.created``
  that says the order was cancelled before it was placed (``cancelled_before_placed``).
- A payment the previous version ended in ``REFUNDED`` was written before its refund was sent (and
  its charge may not have been sent either): a cancellation sends both again (the ledger applies
  each once), then records REFUND_SENT.

Every send is repeated whenever its transition has not been recorded yet, with the same
deduplication id: the balance ledger makes the repeat harmless, and a refund names the charge
it reverses, so the ledger applies it only after that charge.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from event_runtime.errors import PoisonMessageError, TransientError
from orders_functions.common.errors import is_conditional_check_failure
from orders_functions.common.events import OrderEvent
from orders_functions.common.limits import charge_transaction_id, refund_transaction_id, transaction_description
from orders_functions.common.producer import MessageProducer

AUTHORIZED = "AUTHORIZED"
CHARGE_SENT = "CHARGE_SENT"
REFUND_SENT = "REFUND_SENT"
CANCELLED = "CANCELLED"
#: The previous version's final status of a refunded payment.
LEGACY_REFUNDED = "REFUNDED"
#: What payment acts on; any other (well-formed) event type is acknowledged and counted by its shell.
PAYMENT_EVENT_TYPES = ("order.created", "order.cancelled")
#: Transitions tried when other invocations keep moving the same payment.
MAX_TRANSITIONS = 6


class PaymentService:
    def __init__(
        self,
        payments_table: Any,
        balance_updates: MessageProducer,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._table = payments_table
        self._balance_updates = balance_updates
        self._clock = clock

    def handle(self, event: OrderEvent) -> dict[str, Any]:
        if event.event_type == "order.created":
            if event.amount is None:
                raise PoisonMessageError(f"{event.event_type} for order {event.order_id} has no amount")
            if event.cancelled_before_placed:
                return self.cancel(event)
            return self.charge(event, event.amount)
        if event.event_type == "order.cancelled":
            return self.cancel(event)
        raise PoisonMessageError(f"payment-processing does not handle {event.event_type}")

    def _create(self, payment: dict[str, Any]) -> bool:
        """Write the order's first payment item; False, writing nothing, when the order already has one."""
        try:
            self._table.put_item(Item=payment, ConditionExpression="attribute_not_exists(order_id)")
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
            return False
        return True

    def charge(self, event: OrderEvent, amount: Decimal) -> dict[str, Any]:
        authorised = {
            "order_id": event.order_id,
            "account_id": event.customer_id,
            "amount": amount,
            "status": AUTHORIZED,
        }
        payment: dict[str, Any] | None = authorised
        outcome = "authorised"
        now = self._clock().isoformat()
        item = {**authorised, "currency": event.currency, "authorised_at": now, "correlation_id": event.correlation_id}
        if not self._create(item):
            outcome, payment = "already_authorised", self._get(event.order_id)
        for _ in range(MAX_TRANSITIONS):
            assert payment is not None
            if payment["status"] != AUTHORIZED:
                return {"order_id": event.order_id, "outcome": outcome, "status": payment["status"]}
            self._send(payment, "charge", event.correlation_id)
            payment = self._transition(payment, AUTHORIZED, CHARGE_SENT, "charge_sent_at")
            outcome = "charged" if outcome == "authorised" else "charge_completed"
        raise TransientError(f"payment of order {event.order_id} kept changing")

    def cancel(self, event: OrderEvent) -> dict[str, Any]:
        cancelled = {
            "order_id": event.order_id,
            "account_id": event.customer_id,
            "status": CANCELLED,
            "cancelled_at": self._clock().isoformat(),
            "correlation_id": event.correlation_id,
        }
        if self._create(cancelled):
            return {"order_id": event.order_id, "outcome": "cancelled_before_any_charge"}
        outcome = "already_settled"
        payment = self._get(event.order_id)
        for _ in range(MAX_TRANSITIONS):
            assert payment is not None
            status = payment["status"]
            if status in (CANCELLED, REFUND_SENT):
                return {"order_id": event.order_id, "outcome": outcome, "status": status}
            if status == LEGACY_REFUNDED:  # decided, but the previous version sent the refund after writing this
                self._send(payment, "charge", event.correlation_id)
                self._send(payment, "refund", event.correlation_id)
                payment = self._transition(payment, LEGACY_REFUNDED, REFUND_SENT, "refund_sent_at")
                outcome = "refunded"
                continue
            if status == AUTHORIZED:  # the charge may not be out yet: send it first
                self._send(payment, "charge", event.correlation_id)
                payment = self._transition(payment, AUTHORIZED, CHARGE_SENT, "charge_sent_at")
            elif status == CHARGE_SENT:
                self._send(payment, "refund", event.correlation_id)
                payment = self._transition(payment, CHARGE_SENT, REFUND_SENT, "refund_sent_at")
                outcome = "refunded"
            else:
                raise PoisonMessageError(f"payment of order {event.order_id} is {status}; cannot refund")
        raise TransientError(f"payment of order {event.order_id} kept changing")

    def is_settled(self, event: OrderEvent) -> bool:
        """True when the payment already stands where ``event`` takes it (its effect is there)."""
        item = self._table.get_item(Key={"order_id": event.order_id}, ConsistentRead=True).get("Item")
        if item is None:
            return False
        final = {REFUND_SENT, CANCELLED}
        if event.event_type == "order.created" and not event.cancelled_before_placed:
            final |= {CHARGE_SENT, LEGACY_REFUNDED}  # (a REFUNDED payment's charge is the cancellation's to resend)
        return item["status"] in final

    def _get(self, order_id: str) -> dict[str, Any]:
        item = self._table.get_item(Key={"order_id": order_id}, ConsistentRead=True).get("Item")
        if item is None:  # written a moment ago by the conditional put that failed: it must be there
            raise TransientError(f"payment of order {order_id} not readable yet")
        return dict(item)

    def _transition(self, payment: dict[str, Any], source: str, target: str, stamp: str) -> dict[str, Any]:
        """Move ``payment`` from ``source`` to ``target``; returns the item as it now stands (moved or not)."""
        try:
            response = self._table.update_item(
                Key={"order_id": payment["order_id"]},
                UpdateExpression=f"SET #status = :target, {stamp} = :now",
                ConditionExpression="#status = :source",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":target": target, ":source": source, ":now": self._clock().isoformat()},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
            return self._get(payment["order_id"])  # another invocation moved it: go on from where it is
        return dict(response["Attributes"])

    def _send(self, payment: dict[str, Any], kind: str, correlation_id: str) -> None:
        order_id, account_id = payment["order_id"], payment["account_id"]
        amount = Decimal(str(payment["amount"]))
        charge_id = charge_transaction_id(order_id)
        if kind == "charge":
            transaction_id, signed, reverses = charge_id, -amount, None
        else:
            transaction_id, signed, reverses = refund_transaction_id(order_id), amount, charge_id
        body: dict[str, Any] = {
            "account_id": account_id,
            "transaction_id": transaction_id,
            "amount": str(signed.quantize(Decimal("0.01"))),
            "description": transaction_description(kind, order_id),
        }
        if reverses is not None:
            body["reverses"] = reverses
        self._balance_updates.send_fifo(
            body,
            event_type=f"balance.{kind}",
            group_id=account_id,
            deduplication_id=transaction_id,
            attributes={"correlation_id": correlation_id},
        )
