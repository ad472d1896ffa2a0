"""localcloud.compat.dynamodb_atomic_writes: a conditional write is atomic under concurrent requests.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import contextlib
from unittest import mock

import boto3
import pytest

from localcloud.compat import (
    dynamodb_atomic_writes,
    installed,
)

pytestmark = pytest.mark.usefixtures("aws")


def _two_writers_conditioned_on_the_same_state() -> int:
    """Two PutItems conditioned on "no such item", whose checks both pass before either writes (a barrier
    holds each just after its check); how many succeed. DynamoDB lets exactly one."""
    import threading

    from moto.dynamodb.models import table as table_module

    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    both_checked = threading.Barrier(2, timeout=1)
    original = table_module.get_filter_expression

    def held_after_the_check(*args: object, **kwargs: object) -> object:
        condition = original(*args, **kwargs)
        check = condition.expr

        def expr(item: object) -> object:
            passed = check(item)
            with contextlib.suppress(threading.BrokenBarrierError):
                both_checked.wait()
            return passed

        condition.expr = expr
        return condition

    succeeded = []

    def write(writer: str) -> None:
        with contextlib.suppress(dynamodb.exceptions.ConditionalCheckFailedException):
            dynamodb.put_item(
                TableName="orders",
                Item={"id": {"S": "o-1"}, "writer": {"S": writer}},
                ConditionExpression="attribute_not_exists(id)",
            )
            succeeded.append(writer)

    with mock.patch.object(table_module, "get_filter_expression", held_after_the_check):
        writers = [threading.Thread(target=write, args=(name,)) for name in ("first", "second")]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
    return len(succeeded)


def test_moto_still_lets_two_conditional_writes_both_succeed() -> None:
    assert _two_writers_conditioned_on_the_same_state() == 2


def test_a_conditional_write_is_atomic_under_concurrent_requests() -> None:
    with installed(dynamodb_atomic_writes):
        assert _two_writers_conditioned_on_the_same_state() == 1
