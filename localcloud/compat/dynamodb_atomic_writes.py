"""DynamoDB's conditional writes atomic under concurrent requests: moto checks a condition and then
writes, with nothing between the two, while its server answers requests on several threads. Two
writers conditioned on the same state could then both succeed, and the second silently replace what
the first wrote. Found by the end-to-end workload once functions ran concurrently: an update kept
for an order that had not arrived was written over by the order itself, and never announced.

Here every item operation of the DynamoDB backend (reads too, so that none sees half a write) holds
one lock for its duration, as DynamoDB's per-item atomicity promises.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.dynamodb.models import DynamoDBBackend

from localcloud.settings import LocalCloudSettings

GAP = "moto's DynamoDB conditional writes are not atomic under concurrent requests"

OPERATIONS = (
    "put_item",
    "update_item",
    "delete_item",
    "get_item",
    "query",
    "scan",
    "transact_write_items",
    "transact_get_items",
    "batch_write_item",
    "batch_get_item",
)


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    lock = threading.RLock()

    def atomic(operation: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(operation)
        def held(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return operation(*args, **kwargs)

        return held

    for name in OPERATIONS:
        if hasattr(DynamoDBBackend, name):
            stack.enter_context(mock.patch.object(DynamoDBBackend, name, atomic(getattr(DynamoDBBackend, name))))
