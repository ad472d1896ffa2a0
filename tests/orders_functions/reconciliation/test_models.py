"""A reconciliation request names one account or all of them, never both or neither."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from orders_functions.reconciliation.models import ReconciliationRequest


def test_a_request_names_one_account_or_every_account() -> None:
    assert ReconciliationRequest(run_id="r", account_id="a").account_id == "a"
    assert ReconciliationRequest(run_id="r", all_accounts=True).all_accounts


@pytest.mark.parametrize("scope", [{}, {"account_id": "a", "all_accounts": True}])
def test_a_request_with_no_scope_or_both_is_refused(scope: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="one account_id, or says all_accounts"):
        ReconciliationRequest(run_id="r", **scope)  # type: ignore[arg-type]
