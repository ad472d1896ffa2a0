"""The high-value order flow's task handlers: pure checks and idempotent writes."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import boto3
import pytest
from workflow import handler, tasks

from tests.lambdas.conftest import create_table
from tests.lambdas.sqs_harness import FakeLambdaContext

ORDER = {"order_id": "o-1", "customer_id": "c-1", "amount": 2500.0, "priority": "high"}


@pytest.fixture
def workflow_table(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.setenv("WORKFLOW_TABLE", "workflow")
    handler.store.cache_clear()
    yield create_table("workflow", [("order_id", "HASH")])
    handler.store.cache_clear()


def item() -> dict:
    return boto3.resource("dynamodb").Table("workflow").get_item(Key={"order_id": "o-1"}).get("Item", {})


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
    assert handler.reserve_inventory(ORDER, context)["outcome"] == "reserved"
    assert handler.reserve_inventory(ORDER, context)["outcome"] == "already_reserved"
    assert item()["reservation"] == "RESERVED"
    assert handler.release_inventory(ORDER, context)["outcome"] == "released"
    assert handler.release_inventory(ORDER, context)["outcome"] == "nothing_to_release"
    assert item()["reservation"] == "RELEASED"
    # A released reservation is not taken again by a late retry of the reserve step.
    assert handler.reserve_inventory(ORDER, context)["outcome"] == "already_reserved"
    assert item()["reservation"] == "RELEASED"


def test_releasing_what_was_never_reserved_is_harmless(workflow_table: object) -> None:
    assert handler.release_inventory(ORDER, FakeLambdaContext())["outcome"] == "nothing_to_release"


def test_the_account_manager_is_assigned_once_and_stays(workflow_table: object) -> None:
    first = handler.assign_account_manager(ORDER, FakeLambdaContext())["account_manager"]
    assert first in tasks.ACCOUNT_MANAGERS
    assert handler.assign_account_manager(ORDER, FakeLambdaContext())["account_manager"] == first
    assert item()["account_manager"] == first


def test_out_of_stock_orders_cannot_be_reserved(workflow_table: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUT_OF_STOCK_ORDERS", "o-9,o-1")
    with pytest.raises(tasks.InventoryUnavailable):
        handler.reserve_inventory(ORDER, FakeLambdaContext())
