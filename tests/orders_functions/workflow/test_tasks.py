"""workflow.tasks (through the handler's task functions, against moto): fraud and credit verdicts, inventory
reserved and released once per order and only by the execution that holds it, an account manager once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders_functions.workflow import handler, tasks
from tests.orders_functions.sqs_harness import FakeLambdaContext
from tests.orders_functions.workflow.conftest import ORDER, in_execution, item


@pytest.mark.parametrize(
    ("amount", "verdict"), [(2500, "approve"), (20000, "approve"), (20000.01, "review"), (50001, "reject")]
)
def test_fraud_screening(amount: float, verdict: str) -> None:
    assert tasks.screen_for_fraud({**ORDER, "amount": amount})["verdict"] == verdict


def test_credit_check_refuses_above_the_limit() -> None:
    assert tasks.check_credit_limit(ORDER, Decimal("3000"))["headroom"] == 500.0
    with pytest.raises(tasks.CreditLimitExceeded, match="above the credit limit 2000"):
        tasks.check_credit_limit(ORDER, Decimal("2000"))


def test_a_reservation_is_made_once_and_released_once(workflow_table: object) -> None:
    context = FakeLambdaContext()
    first = in_execution("first")
    assert handler.reserve_inventory(first, context)["outcome"] == "reserved"
    assert handler.reserve_inventory(first, context)["outcome"] == "already_reserved"  # a retried step
    assert item()["reservation"] == "RESERVED"
    assert handler.release_inventory(first, context)["outcome"] == "released"
    assert handler.release_inventory(first, context)["outcome"] == "already_released"
    assert item()["reservation"] == "RELEASED"


def test_releasing_what_was_never_reserved_is_harmless(workflow_table: object) -> None:
    assert handler.release_inventory(in_execution("early"), FakeLambdaContext())["outcome"] == "nothing_to_release"
    assert item()["reservation"] == "NONE_HELD"  # the order was decided (failed), without stock


# --- Defect 4: idempotent per order and per execution -------------------------------------------------


def test_a_second_execution_cannot_release_the_first_executions_reservation(workflow_table: object) -> None:
    """A duplicate delivery or a replay starts a second execution; on main its compensation released the
    first execution's stock, so an approved order lost it."""
    context = FakeLambdaContext()
    assert handler.reserve_inventory(in_execution("first"), context)["outcome"] == "reserved"
    with pytest.raises(tasks.AlreadyHandled, match="decided by execution"):
        handler.reserve_inventory(in_execution("second"), context)
    assert handler.release_inventory(in_execution("second"), context)["outcome"] == "nothing_to_release"
    assert (item()["reservation"], item()["held_by"]) == ("RESERVED", in_execution("first")["execution_id"])


def test_a_re_run_after_compensation_is_not_approved_without_stock(workflow_table: object) -> None:
    """On main a re-run after a release answered already_reserved while the table said RELEASED."""
    context = FakeLambdaContext()
    handler.reserve_inventory(in_execution("first"), context)
    handler.release_inventory(in_execution("first"), context)
    with pytest.raises(tasks.AlreadyHandled):
        handler.reserve_inventory(in_execution("re-run"), context)
    assert item()["reservation"] == "RELEASED"


def test_the_account_manager_is_assigned_once_and_stays(workflow_table: object) -> None:
    first = handler.assign_account_manager(in_execution("a"), FakeLambdaContext())["account_manager"]
    assert first in tasks.ACCOUNT_MANAGERS
    assert handler.assign_account_manager(in_execution("a"), FakeLambdaContext())["account_manager"] == first
    assert item()["account_manager"] == first


def test_out_of_stock_orders_cannot_be_reserved(workflow_table: object) -> None:
    with pytest.raises(tasks.InventoryUnavailable):
        handler.store().reserve_inventory(ORDER, "x", unavailable=["o-9", "o-1"])
    assert item() == {}
