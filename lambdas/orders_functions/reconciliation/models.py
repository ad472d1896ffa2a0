"""A reconciliation request: one account, or every account (the worker then asks for each one)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator

from orders_functions.common.limits import Identifier


class ReconciliationRequest(BaseModel):
    """``run_id`` names the run (its reports share it); ``account_id`` or ``all_accounts``, not both."""

    model_config = ConfigDict(extra="ignore", frozen=True)  # a tolerant reader

    run_id: Identifier
    account_id: Identifier | None = None
    all_accounts: bool = False

    @model_validator(mode="after")
    def _one_scope(self) -> ReconciliationRequest:
        if (self.account_id is None) == (not self.all_accounts):
            raise ValueError("a request names one account_id, or says all_accounts: true")
        return self
