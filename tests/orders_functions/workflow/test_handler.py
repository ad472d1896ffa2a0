"""workflow.handler: each task refuses without its execution id, and turns what is worth a retry into the one
error name the flow retries (TransientError)."""

from __future__ import annotations

import boto3
import pytest

from orders_functions.workflow import handler, tasks
from tests.orders_functions.faults import fail_calls
from tests.orders_functions.sqs_harness import FakeLambdaContext
from tests.orders_functions.workflow.conftest import ORDER, in_execution, item


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
