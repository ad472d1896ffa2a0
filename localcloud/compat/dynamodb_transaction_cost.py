"""Transactions without copying tables: before each ``TransactWriteItems`` moto deep-copies every
table the transaction touches, to roll back on failure. A ledger table of n items makes each
transaction O(n), so a run of thousands of balance updates slows down as it goes. Here only the
items the transaction names are saved, and restored when it is cancelled.
"""

from __future__ import annotations

import copy
from contextlib import ExitStack
from types import SimpleNamespace
from typing import Any
from unittest import mock

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from localcloud.settings import LocalCloudSettings

GAP = "moto deep-copies every table a DynamoDB transaction touches (O(table size) per transaction)"

#: moto's module sees this as ``copy``: a table is "copied" as itself, anything else for real.
_COPY_WITHOUT_TABLES = SimpleNamespace(
    deepcopy=lambda value, memo=None: value if isinstance(value, Table) else copy.deepcopy(value, memo)
)


def _key(table: Table, operation: dict[str, Any]) -> tuple[DynamoType, DynamoType | None]:
    attributes = operation.get("Key") or operation["Item"]
    hash_key = DynamoType(attributes[table.hash_key_attr])
    range_key = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
    return hash_key, range_key


def _restore(table: Table, hash_key: DynamoType, range_key: DynamoType | None, item: Any) -> None:
    if item is None:
        table.delete_item(hash_key, range_key)
    elif range_key is not None:
        table.items[hash_key][range_key] = item
    else:
        table.items[hash_key] = item


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved = []
        for entry in transact_items:
            operation = next(iter(entry.values()))
            table = self.tables.get(operation.get("TableName", ""))
            if table is None or not ({"Key", "Item"} & operation.keys()):
                continue
            hash_key, range_key = _key(table, operation)
            current = (
                table.get_item(hash_key, range_key) if (range_key is not None or not table.range_key_attr) else None
            )
            saved.append((table, hash_key, range_key, copy.deepcopy(current)))
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                _restore(table, hash_key, range_key, item)
            raise

    stack.enter_context(mock.patch.object(dynamodb_models, "copy", _COPY_WITHOUT_TABLES))
    stack.enter_context(mock.patch.object(DynamoDBBackend, "transact_write_items", transact_write_items))
