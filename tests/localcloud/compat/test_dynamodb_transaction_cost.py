"""localcloud.compat.dynamodb_transaction_cost: a transaction copies no table, and a cancelled one is rolled back.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import copy
from unittest import mock

import boto3
import pytest

from localcloud.compat import (
    dynamodb_transaction_cost,
    installed,
)

pytestmark = pytest.mark.usefixtures("aws")


def _transaction_with_a_failing_condition() -> tuple[int, dict[str, object]]:
    """Table copies made by a cancelled transaction, and the first item afterwards."""

    from moto.dynamodb.models.table import Table

    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="ledger",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="ledger", Item={"pk": {"S": "a"}, "sk": {"S": "BALANCE"}, "n": {"N": "1"}})
    copies = 0

    def counting_deepcopy(table: Table, memo: dict[int, object]) -> Table:
        nonlocal copies
        copies += 1
        clone = Table.__new__(Table)
        clone.__dict__.update({k: copy.deepcopy(v, memo) for k, v in table.__dict__.items()})
        return clone

    with (
        mock.patch.object(Table, "__deepcopy__", counting_deepcopy, create=True),
        pytest.raises(dynamodb.exceptions.TransactionCanceledException),
    ):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": "ledger",
                        "Key": {"pk": {"S": "a"}, "sk": {"S": "BALANCE"}},
                        "UpdateExpression": "SET n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {
                    "Put": {
                        "TableName": "ledger",
                        "Item": {"pk": {"S": "a"}, "sk": {"S": "TXN#1"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    item = dynamodb.get_item(TableName="ledger", Key={"pk": {"S": "a"}, "sk": {"S": "BALANCE"}})["Item"]
    return copies, item


def test_moto_still_copies_the_table_for_each_transaction() -> None:
    copies, item = _transaction_with_a_failing_condition()
    assert copies >= 1
    assert item["n"] == {"N": "1"}


def test_a_cancelled_transaction_is_rolled_back_without_copying_the_table() -> None:
    with installed(dynamodb_transaction_cost):
        copies, item = _transaction_with_a_failing_condition()
    assert copies == 0
    assert item["n"] == {"N": "1"}  # the first write of the cancelled transaction was undone
