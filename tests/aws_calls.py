"""Which AWS calls each Lambda handler makes, recorded while the handler tests run.

Every botocore call made with a Lambda handler on the Python stack is recorded against that
handler (``<module>.<function>``, as a function's ``Handler`` names it), and every call made by an
``event_runtime.QueueWorker`` whose records go to one of the app's workers against that worker
(``orders_functions.<worker>.worker``, the module its container runs), as the IAM actions the
call needs: the operation's own action, and for some operations the actions AWS checks instead
(a DynamoDB transaction needs the action of each of its items; an SQS batch, the single action).
:mod:`tests.app.test_least_privilege` compares them with each function's synthesized policy.

The recording runs for the whole test session (a session fixture in ``tests/conftest.py``). When
``RECORD_AWS_CALLS_TO`` names a file, the session writes what it recorded there at its end, so a
test run on its own can have the handler tests recorded in a subprocess.

Example:
    >>> sorted(actions_of("dynamodb", "TransactWriteItems", {"TransactItems": [{"Put": {}}, {"ConditionCheck": {}}]}))
    ['dynamodb:ConditionCheckItem', 'dynamodb:PutItem']
    >>> actions_of("sqs", "SendMessageBatch", {})
    {'sqs:SendMessage'}
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from botocore.client import BaseClient

#: The tests that run every handler against moto (directories: every ``test_*.py`` below them), what the
#: recording is made of. They share one pytest-xdist worker with the test that judges the recording
#: (``tests/conftest.py``), and that test runs them in a subprocess when its session did not.
HANDLER_TESTS = ("tests/orders_functions/", "tests/app/test_high_value_order_flow_runs.py")
#: The long-running workers' packages (``orders_functions.<worker>``, whose ``worker`` module a container runs).
WORKER_PACKAGES = ("orders_functions.reconciliation",)

#: The functions' packages (``orders_functions.<function>``; ``common`` is no function).
HANDLER_PACKAGES = tuple(
    f"orders_functions.{name}"
    for name in ("order_processor", "payment", "balance_updater", "notification", "analytics", "workflow", "replay")
)
_BATCH = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage"}
_BATCH |= {"ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}
_TRANSACTION_ITEMS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def actions_of(prefix: str, operation: str, params: dict[str, Any]) -> set[str]:
    """The IAM actions a call of ``operation`` with ``params`` needs (the service's own action names)."""
    if prefix == "dynamodb" and operation == "TransactWriteItems":
        return {f"dynamodb:{_TRANSACTION_ITEMS[kind]}" for item in params.get("TransactItems", []) for kind in item}
    if prefix == "dynamodb" and operation == "TransactGetItems":
        return {"dynamodb:GetItem"}
    return {f"{prefix}:{_BATCH.get(operation, operation)}"}


class CallRecorder:
    """Handler -> the IAM actions its AWS calls needed, and the resources they named."""

    def __init__(self) -> None:
        self.actions: dict[str, set[str]] = defaultdict(set)

    def record(self, client: BaseClient, operation: str, params: dict[str, Any]) -> None:
        handlers = _handlers_on_stack()
        if not handlers:
            return
        model = client.meta.service_model
        prefix = model.signing_name or model.endpoint_prefix
        for handler in handlers:
            self.actions[handler] |= actions_of(prefix, operation, params)

    def merge(self, recorded: dict[str, list[str]]) -> None:
        for handler, actions in recorded.items():
            self.actions[handler] |= set(actions)

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps({h: sorted(a) for h, a in sorted(self.actions.items())}, indent=1))


def _handlers_on_stack() -> list[str]:
    """``<module>.<function>`` of every frame of a handler module (``<package>.handler``) on the stack.

    A call made by test code inside a handler's call (a botocore hook that looks something up, say)
    is the test's, not the handler's: nothing is returned for it.
    """
    found = []
    frame = sys._getframe(3)  # above this module's own frames (record, and the patched call)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("tests.") and not found:
            return []
        if module.endswith(".handler") and module.removesuffix(".handler") in HANDLER_PACKAGES:
            found.append(f"{module}.{frame.f_code.co_name}")
        if module == "event_runtime.worker" and (worker := _app_worker(frame.f_locals.get("self"))):
            found.append(worker)
        frame = frame.f_back  # type: ignore[assignment]
    return found


def _app_worker(worker: Any) -> str | None:
    """``orders_functions.<worker>.worker`` for a QueueWorker whose handler is the app's worker's code; else None."""
    process = getattr(worker, "process", None) or getattr(worker, "process_batch", None)
    if process is None:
        return None
    owner = getattr(process, "__self__", None)
    module = type(owner).__module__ if owner is not None else getattr(process, "__module__", "")
    package = module.rsplit(".", 1)[0]
    return f"{package}.worker" if package in WORKER_PACKAGES else None


@contextmanager
def recording() -> Iterator[CallRecorder]:
    """Record the calls made until the block ends (and write them to ``RECORD_AWS_CALLS_TO``, if set)."""
    recorder = CallRecorder()
    original = BaseClient._make_api_call

    def recorded(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        recorder.record(client, operation, params)
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", recorded):
        yield recorder
    target = os.environ.get("RECORD_AWS_CALLS_TO")
    if target:
        recorder.dump(Path(target))
