"""The high-value order flow's task handlers: pure checks and idempotent writes."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import boto3
import pytest

from orders_functions.workflow import handler, tasks
from tests.orders_functions.conftest import create_table
from tests.orders_functions.faults import fail_calls
from tests.orders_functions.sqs_harness import FakeLambdaContext

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


def in_execution(name: str, order: dict | None = None) -> dict:
    """A writing task's payload: the order and the execution it runs in."""
    return {"order": order or ORDER, "execution_id": f"arn:aws:states:us-east-1:123456789012:execution:flow:{name}"}


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


def test_throttling_becomes_the_one_retried_error_name(workflow_table: object) -> None:
    """Defect 5: a DynamoDB throttle surfaced as ClientError, which no Retry of the flow covered."""
    from event_runtime.errors import TransientError

    fail_calls(handler.store()._table.meta.client, "UpdateItem", times=1)
    with pytest.raises(TransientError, match="ProvisionedThroughputExceeded"):
        handler.release_inventory(in_execution("throttled"), FakeLambdaContext())
    fail_calls(handler.store()._table.meta.client, "UpdateItem", times=1, code="AccessDeniedException")
    with pytest.raises(Exception, match="AccessDenied") as raised:
        handler.reserve_inventory(in_execution("denied"), FakeLambdaContext())
    assert not isinstance(raised.value, TransientError)  # not worth a retry: compensation runs


def test_the_account_manager_is_assigned_once_and_stays(workflow_table: object) -> None:
    first = handler.assign_account_manager(in_execution("a"), FakeLambdaContext())["account_manager"]
    assert first in tasks.ACCOUNT_MANAGERS
    assert handler.assign_account_manager(in_execution("a"), FakeLambdaContext())["account_manager"] == first
    assert item()["account_manager"] == first


def test_out_of_stock_orders_cannot_be_reserved(workflow_table: object) -> None:
    with pytest.raises(tasks.InventoryUnavailable):
        handler.store().reserve_inventory(ORDER, "x", unavailable=["o-9", "o-1"])
    assert item() == {}


# --- Found by trying to break the claims (a reviewer's tests, kept) ----------------------------------


@pytest.mark.parametrize("task", ["reserve_inventory", "release_inventory", "assign_account_manager"])
def test_a_writing_task_without_its_execution_id_refuses_and_changes_nothing(workflow_table: object, task: str) -> None:
    """An execution of the previous definition (still running across the deploy) passes the bare order. The
    tasks shared one stand-in id, so two such executions both approved, and one released the other's stock."""
    boto3.resource("dynamodb").Table("workflow").put_item(Item={"order_id": "o-1", "reservation": "RESERVED"})
    with pytest.raises(tasks.MissingExecutionId, match="no execution_id"):
        getattr(handler, task)(ORDER, FakeLambdaContext())
    assert item() == {"order_id": "o-1", "reservation": "RESERVED"}  # untouched: the operator is told


def test_a_connection_closed_before_the_response_is_the_one_retried_error_name(workflow_table: object) -> None:
    """botocore's ConnectionClosedError (an HTTPClientError, not a ConnectionError) escaped as itself: the flow
    compensated an order a retry would have approved."""
    from botocore.exceptions import ConnectionClosedError

    from event_runtime.errors import TransientError

    def drop(**_: object) -> None:
        raise ConnectionClosedError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    handler.store()._table.meta.client.meta.events.register("before-parameter-build.dynamodb.UpdateItem", drop)
    with pytest.raises(TransientError, match="ConnectionClosedError"):
        handler.assign_account_manager(in_execution("dropped"), FakeLambdaContext())
