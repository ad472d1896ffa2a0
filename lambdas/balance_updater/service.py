"""Apply a balance change exactly once, with a conditional transactional write.

The account's balance item (``entry = "BALANCE"``) and a ledger item for the transaction
(``entry = "TXN#<transaction_id>"``) are written in one DynamoDB transaction. The ledger
put is conditional on the item not existing, so a transaction that was applied before
cancels the whole write: redelivery, replay or a producer resend never changes the balance
twice, even after SQS's 5-minute deduplication window has passed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from balance_updater.models import BalanceUpdate
from orders_common.errors import PoisonMessageError, describe_validation_error

BALANCE_ENTRY = "BALANCE"
LEDGER_PREFIX = "TXN#"


def parse_balance_update(body: str | None, message_group_id: str | None) -> BalanceUpdate:
    """The update in ``body``, or :class:`PoisonMessageError` saying what is wrong with it."""
    if not body:
        raise PoisonMessageError("empty message body")
    try:
        update = BalanceUpdate.model_validate_json(body)
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
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table_name,
                            "Item": {
                                "account_id": {"S": update.account_id},
                                "entry": {"S": f"{LEDGER_PREFIX}{update.transaction_id}"},
                                "amount": {"N": amount},
                                "description": {"S": update.description},
                                "message_id": {"S": message_id},
                                "applied_at": {"S": now},
                            },
                            "ConditionExpression": "attribute_not_exists(entry)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table_name,
                            "Key": {"account_id": {"S": update.account_id}, "entry": {"S": BALANCE_ENTRY}},
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
            )
        except ClientError as error:
            if _ledger_entry_exists(error):
                return {"transaction_id": update.transaction_id, "outcome": "already_applied"}
            raise
        return {"transaction_id": update.transaction_id, "outcome": "applied"}


def _ledger_entry_exists(error: ClientError) -> bool:
    if error.response["Error"]["Code"] != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons") or []
    if reasons:
        return reasons[0].get("Code") == "ConditionalCheckFailed"
    # Some SDKs only carry the reasons in the message: "... [ConditionalCheckFailed, None]".
    return "[ConditionalCheckFailed" in error.response["Error"].get("Message", "")
