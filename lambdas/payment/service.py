"""Authorise payments for new orders and refund cancelled ones, each once.

An authorisation (or refund) is a conditional write to the payments table, followed by a
balance update on ``balance-updates.fifo``: group = the customer's account, deduplication
id = the transaction id (``<order_id>.charge`` or ``<order_id>.refund``). The update is sent
again whenever the event is, because an earlier attempt may have stopped between the write
and the send; FIFO deduplication and the balance ledger make the resend harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from orders_common.errors import PoisonMessageError, TransientError
from orders_common.events import OrderEvent
from orders_common.producer import MessageProducer

AUTHORIZED = "AUTHORIZED"
REFUNDED = "REFUNDED"


def charge_transaction_id(order_id: str) -> str:
    return f"{order_id}.charge"


def refund_transaction_id(order_id: str) -> str:
    return f"{order_id}.refund"


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
        if event.amount is None:
            raise PoisonMessageError(f"{event.event_type} for order {event.order_id} has no amount")
        if event.event_type == "order.created":
            return self.authorise(event, event.amount)
        if event.event_type == "order.cancelled":
            return self.refund(event, event.amount)
        raise PoisonMessageError(f"payment-processing does not handle {event.event_type}")

    def authorise(self, event: OrderEvent, amount: Decimal) -> dict[str, Any]:
        outcome = "authorised"
        try:
            self._table.put_item(
                Item={
                    "order_id": event.order_id,
                    "account_id": event.customer_id,
                    "amount": amount,
                    "currency": event.currency,
                    "status": AUTHORIZED,
                    "authorised_at": self._clock().isoformat(),
                    "correlation_id": event.correlation_id,
                },
                ConditionExpression="attribute_not_exists(order_id)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            outcome = "already_authorised"
        self._send_balance_update(event, charge_transaction_id(event.order_id), -amount, "charge")
        return {"order_id": event.order_id, "outcome": outcome}

    def refund(self, event: OrderEvent, amount: Decimal) -> dict[str, Any]:
        outcome = "refunded"
        try:
            self._table.update_item(
                Key={"order_id": event.order_id},
                UpdateExpression="SET #status = :refunded, refunded_at = :now",
                ConditionExpression="#status = :authorized",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":refunded": REFUNDED,
                    ":authorized": AUTHORIZED,
                    ":now": self._clock().isoformat(),
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            status = (error.response.get("Item") or {}).get("status", {}).get("S")
            if status is None:
                # The cancellation overtook the creation (standard queue): retry later.
                raise TransientError(f"no payment for order {event.order_id} yet") from None
            if status != REFUNDED:
                raise PoisonMessageError(f"payment of order {event.order_id} is {status}; cannot refund") from None
            outcome = "already_refunded"
        self._send_balance_update(event, refund_transaction_id(event.order_id), amount, "refund")
        return {"order_id": event.order_id, "outcome": outcome}

    def _send_balance_update(self, event: OrderEvent, transaction_id: str, amount: Decimal, kind: str) -> None:
        self._balance_updates.send_fifo(
            {
                "account_id": event.customer_id,
                "transaction_id": transaction_id,
                "amount": str(amount),
                "description": f"{kind} for order {event.order_id}",
            },
            event_type=f"balance.{kind}",
            group_id=event.customer_id,
            deduplication_id=transaction_id,
            attributes={"correlation_id": event.correlation_id},
        )
