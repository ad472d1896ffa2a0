"""The workflow table the writing tasks use, and the payloads the flow gives them."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from orders_functions.workflow import handler
from orders_functions.workflow.settings import WorkflowSettings
from tests.orders_functions.conftest import create_table

ORDER = {"order_id": "o-1", "customer_id": "c-1", "amount": 2500.0, "priority": "high"}


@pytest.fixture
def workflow_table(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    for name, value in WorkflowSettings(workflow_table="workflow").to_environment().items():
        monkeypatch.setenv(name, value)
    handler.store.cache_clear()
    yield create_table("workflow", [("order_id", "HASH")])
    handler.store.cache_clear()


def item() -> dict:
    return boto3.resource("dynamodb").Table("workflow").get_item(Key={"order_id": "o-1"}).get("Item", {})


def in_execution(name: str, order: dict | None = None) -> dict:
    """A writing task's payload: the order and the execution it runs in."""
    return {"order": order or ORDER, "execution_id": f"arn:aws:states:us-east-1:123456789012:execution:flow:{name}"}
