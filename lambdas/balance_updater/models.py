"""A balance update: one signed change to one account, identified by its transaction."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class BalanceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account_id: Identifier
    transaction_id: Identifier
    amount: Annotated[Decimal, Field(max_digits=14, decimal_places=2, allow_inf_nan=False)]
    description: Annotated[str, Field(max_length=200)] = ""
