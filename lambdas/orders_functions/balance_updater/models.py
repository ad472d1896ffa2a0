"""A balance update: one signed change to one account, identified by its transaction."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from orders_functions.common.limits import Description, Identifier, SignedMoney, TransactionId


class BalanceUpdate(BaseModel):
    """``reverses`` names the transaction this one gives back (a refund names its charge): it is
    applied only after that transaction, and only for the opposite of its amount."""

    model_config = ConfigDict(extra="ignore", frozen=True)  # a tolerant reader: fields it does not read are ignored

    account_id: Identifier
    transaction_id: TransactionId
    amount: SignedMoney
    description: Description = ""
    reverses: TransactionId | None = None
