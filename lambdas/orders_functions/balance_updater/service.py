"""Apply a balance change exactly once, with a conditional transactional write.

The account's balance item (``entry = "BALANCE"``) and a ledger item for the transaction
(``entry = "TXN#<transaction_id>"``) are written in one DynamoDB transaction. The ledger
put is conditional on the item not existing, so a transaction that was applied before
cancels the whole write: redelivery, replay or a producer resend never changes the balance
twice, even after SQS's 5-minute deduplication window has passed.

An update that ``reverses`` another (a refund names its charge) also checks, in the same
transaction, that the reversed transaction is in the ledger with the opposite amount: a refund
is never applied before its charge. If the charge is not there yet, the update waits (a
transient failure); if it is there with another amount, the update is poison. So is a
transaction id sent again with another amount: a duplicate is the same update, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from botocore.exceptions import ClientError
from pydantic import ValidationError

from event_runtime.errors import PoisonMessageError, TransientError
from orders_functions.balance_updater.models import BalanceUpdate
from orders_functions.common.errors import describe_validation_error
from orders_functions.common.readers import json_object

#: The table's layout: per account (partition key ``account_id``), the balance item (sort key ``entry`` =
#: BALANCE_ENTRY) and one ledger item per applied transaction (``entry`` = LEDGER_PREFIX + transaction id).
BALANCE_ENTRY = "BALANCE"
LEDGER_PREFIX = "TXN#"


def balance_key(account_id: str) -> dict[str, dict[str, str]]:
    """The key of the account's balance item (DynamoDB's low-level form)."""
    return {"account_id": {"S": account_id}, "entry": {"S": BALANCE_ENTRY}}


def ledger_key(account_id: str, transaction_id: str) -> dict[str, dict[str, str]]:
    """The key of the ledger item of ``transaction_id`` in the account's ledger."""
    return {"account_id": {"S": account_id}, "entry": {"S": f"{LEDGER_PREFIX}{transaction_id}"}}


def ledger_transaction(item: dict[str, Any]) -> str | None:
    """The transaction id of a ledger item of the table (low-level form, as a scan returns it); None for a
    balance item.

    >>> ledger_transaction(ledger_key("acct-1", "o-1.charge")), ledger_transaction(balance_key("acct-1"))
    ('o-1.charge', None)
    """
    entry = str(item["entry"]["S"])
    return entry.removeprefix(LEDGER_PREFIX) if entry.startswith(LEDGER_PREFIX) else None


def balance_of(item: dict[str, Any]) -> Decimal:
    """The balance a balance item holds (low-level form)."""
    return Decimal(item["balance"]["N"])


def applied_count_of(item: dict[str, Any]) -> int:
    """How many transactions a balance item says were applied (low-level form): its ledger's entries."""
    return int(item.get("applied_count", {}).get("N", "0"))


def parse_balance_update(body: str | None, message_group_id: str | None) -> BalanceUpdate:
    """The update in ``body``, or :class:`PoisonMessageError` saying what is wrong with it."""
    if not body:
        raise PoisonMessageError("empty message body")
    data = json_object(body)  # numbers exactly as written: a float would round 10.001 to what the model accepts
    try:
        update = BalanceUpdate.model_validate(data)
    except ValidationError as error:
        raise PoisonMessageError(f"invalid balance update: {describe_validation_error(error)}") from None
    if message_group_id is not None and message_group_id != update.account_id:
        raise PoisonMessageError(
            f"message group '{message_group_id}' is not the account '{update.account_id}': "
            "updates of one account must share its group to stay in order"
        )
    return update


class BalanceLedger:
    def __init__(self, client: Any, table_name: str, clock: Any = lambda: datetime.now(UTC)) -> None:
        self._client = client
        self._table_name = table_name
        self._clock = clock

    def apply(self, update: BalanceUpdate, message_id: str = "") -> dict[str, Any]:
        now = self._clock().isoformat()
        amount = str(update.amount)
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table_name,
                    "Item": {
                        **ledger_key(update.account_id, update.transaction_id),
                        "amount": {"N": amount},
                        "description": {"S": update.description},
                        "message_id": {"S": message_id},
                        "applied_at": {"S": now},
                        **({"reverses": {"S": update.reverses}} if update.reverses else {}),
                    },
                    "ConditionExpression": "attribute_not_exists(entry)",
                }
            },
            {
                "Update": {
                    "TableName": self._table_name,
                    "Key": balance_key(update.account_id),
                    "UpdateExpression": "SET balance = if_not_exists(balance, :zero) + :amount, "
                    "updated_at = :now, last_transaction_id = :txn ADD applied_count :one",
                    "ExpressionAttributeValues": {
                        ":zero": {"N": "0"},
                        ":amount": {"N": amount},
                        ":now": {"S": now},
                        ":txn": {"S": update.transaction_id},
                        ":one": {"N": "1"},
                    },
                }
            },
        ]
        if update.reverses:
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table_name,
                        "Key": ledger_key(update.account_id, update.reverses),
                        "ConditionExpression": "attribute_exists(entry) AND amount = :reversed",
                        "ExpressionAttributeValues": {":reversed": {"N": str(-update.amount)}},
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            reasons = _cancellation_reasons(error)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                self._refuse_a_different_resend(update)
                return {"transaction_id": update.transaction_id, "outcome": "already_applied"}
            if update.reverses and len(reasons) > 2 and reasons[2] == "ConditionalCheckFailed":
                self._refuse_reversal(update)
            raise
        return {"transaction_id": update.transaction_id, "outcome": "applied"}

    def _refuse_a_different_resend(self, update: BalanceUpdate) -> None:
        """A transaction id applied to this account before with another amount is poison, not a duplicate.

        (Transaction ids are unique per account: the ledger is keyed on both.)
        """
        applied = self._client.get_item(
            TableName=self._table_name,
            Key=ledger_key(update.account_id, update.transaction_id),
            ConsistentRead=True,
        ).get("Item")
        if applied is not None and Decimal(applied["amount"]["N"]) != update.amount:
            raise PoisonMessageError(
                f"{update.transaction_id} was applied to account {update.account_id} with amount "
                f"{applied['amount']['N']}; this update says {update.amount}"
            )

    def is_applied(self, update: BalanceUpdate) -> bool:
        """True when ``update`` itself is in its account's ledger (its transaction, with its amount)."""
        item = self._client.get_item(
            TableName=self._table_name,
            Key=ledger_key(update.account_id, update.transaction_id),
            ConsistentRead=True,
        ).get("Item")
        return (
            item is not None
            and Decimal(item["amount"]["N"]) == update.amount
            and (item.get("reverses") or {}).get("S") == update.reverses
        )

    def _refuse_reversal(self, update: BalanceUpdate) -> None:
        assert update.reverses is not None
        reversed_item = self._client.get_item(
            TableName=self._table_name, Key=ledger_key(update.account_id, update.reverses), ConsistentRead=True
        ).get("Item")
        if reversed_item is None:
            raise TransientError(
                f"{update.transaction_id} reverses {update.reverses}, which account {update.account_id} "
                "has not applied yet: it waits for it"
            )
        raise PoisonMessageError(
            f"{update.transaction_id} reverses {update.reverses} with amount {update.amount}, but "
            f"{update.reverses} was applied with amount {reversed_item['amount']['N']}"
        )

    def balance(self, account_id: str) -> Decimal | None:
        """The account's balance (None: no update applied to it yet)."""
        item = self._client.get_item(TableName=self._table_name, Key=balance_key(account_id), ConsistentRead=True)
        return balance_of(item["Item"]) if "Item" in item else None


@dataclass
class BalanceUpdater:
    """One ``balance-updates.fifo`` record: its update, read with its message group, applied once."""

    ledger: BalanceLedger
    logger: Logger

    def process(self, record: SQSRecord) -> dict[str, Any]:
        attributes = record.raw_event.get("messageAttributes") or {}
        self.logger.append_keys(correlation_id=(attributes.get("correlation_id") or {}).get("stringValue"))
        update = parse_balance_update(record.body, record.attributes.message_group_id)
        result = self.ledger.apply(update, message_id=record.message_id)
        self.logger.info("balance update", extra={"account_id": update.account_id, **result})
        return result

    def already_applied(self, record: SQSRecord) -> bool:
        """For a record out of attempts: its transaction is in the ledger (the last attempt applied it)."""
        try:
            update = parse_balance_update(record.body, record.attributes.message_group_id)
        except Exception:
            return False
        return self.ledger.is_applied(update)


def _cancellation_reasons(error: ClientError) -> list[str]:
    """The code of each item of a cancelled transaction ('None' where the item was fine)."""
    if error.response["Error"]["Code"] != "TransactionCanceledException":
        return []
    reasons = error.response.get("CancellationReasons") or []
    if reasons:
        return [str(reason.get("Code")) for reason in reasons]
    # Some SDKs only carry the reasons in the message: "... [ConditionalCheckFailed, None]".
    message = error.response["Error"].get("Message", "")
    listed = message[message.rfind("[") + 1 : message.rfind("]")] if "[" in message else ""
    return [part.strip() for part in listed.split(",") if part.strip()]
