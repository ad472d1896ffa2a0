"""event_runtime.attempts: real attempts counted apart from receives, in a DynamoDB table with a time to live."""

from __future__ import annotations

from typing import Any

import boto3

from event_runtime.attempts import (
    DEFAULT_TTL_SECONDS,
    EXPIRES_AT_ATTRIBUTE,
    MAX_ERROR_LENGTH,
    MESSAGE_KEY_ATTRIBUTE,
    Attempt,
    DynamoDBAttempts,
    ReceiveCountAttempts,
    describe_error,
)
from tests.event_runtime.conftest import attempts_table, record
from tests.orders_functions.faults import record_calls

NOW = 1_800_000_000


def counter() -> DynamoDBAttempts:
    return DynamoDBAttempts(boto3.client("dynamodb"), attempts_table(), clock=lambda: NOW)


def stored(attempts: DynamoDBAttempts, message_id: str = "m-1") -> dict[str, Any] | None:
    key = {MESSAGE_KEY_ATTRIBUTE: {"S": f"arn:aws:sqs:us-east-1:123456789012:jobs|{message_id}"}}
    return attempts._client.get_item(TableName=attempts._table_name, Key=key).get("Item")


def test_a_first_receive_is_attempt_one_and_writes_nothing(aws: None) -> None:
    attempts = counter()
    writes = record_calls(attempts._client, "UpdateItem")
    assert attempts.begin(record(receives=1)) == Attempt(1)
    assert writes == []
    assert stored(attempts) is None


def test_a_failed_first_attempt_is_counted_with_its_error_when_it_fails(aws: None) -> None:
    attempts = counter()
    first = attempts.begin(record(receives=1))
    attempts.failed(record(receives=1), first, RuntimeError("downstream down"))
    item = stored(attempts)
    assert item is not None
    assert item["attempts"] == {"N": "1"}
    assert item["last_error"] == {"S": "RuntimeError: downstream down"}
    assert item[EXPIRES_AT_ATTRIBUTE] == {"N": str(NOW + DEFAULT_TTL_SECONDS)}


def test_a_record_received_but_never_tried_keeps_its_attempts(aws: None) -> None:
    """Held back behind its FIFO group on receives 2 and 3, it is tried on receive 4 as its second attempt."""
    attempts = counter()
    attempts.failed(record(receives=1), attempts.begin(record(receives=1)), ValueError("bad"))
    # receives 2 and 3: the record came back with its group's head and was not tried (begin was never called)
    second = attempts.begin(record(receives=4))
    assert second == Attempt(2, "ValueError: bad")


def test_every_later_attempt_is_counted_as_it_begins_so_a_killed_attempt_counts_too(aws: None) -> None:
    attempts = counter()
    attempts.begin(record(receives=1))  # killed: nothing written
    assert attempts.begin(record(receives=2)).number == 1  # the killed first attempt left no trace
    assert attempts.begin(record(receives=3)).number == 2  # the second, killed too, was counted as it began
    later = attempts.begin(record(receives=4))
    assert (later.number, later.last_error) == (3, None)


def test_a_later_failure_records_its_error_without_counting_again(aws: None) -> None:
    attempts = counter()
    third = attempts.begin(record(receives=3))
    attempts.failed(record(receives=3), third, TimeoutError("slow"))
    assert stored(attempts)["attempts"] == {"N": "1"}  # type: ignore[index]
    assert attempts.begin(record(receives=4)) == Attempt(2, "TimeoutError: slow")


def test_records_of_different_queues_are_counted_apart(aws: None) -> None:
    attempts = counter()
    attempts.begin(record(receives=2))
    other = attempts.begin(record(receives=2, queue_arn="arn:aws:sqs:us-east-1:123456789012:other"))
    assert other.number == 1


def test_without_a_table_every_receive_is_an_attempt() -> None:
    attempts = ReceiveCountAttempts()
    assert attempts.begin(record(receives=5)) == Attempt(5)
    attempts.failed(record(receives=5), Attempt(5), RuntimeError("x"))  # nothing to keep
    assert attempts.begin(record(receives=5)) == Attempt(5)


def test_an_error_is_described_by_its_type_and_cut_to_a_length() -> None:
    assert describe_error(KeyError("order_id")) == "KeyError: 'order_id'"
    assert len(describe_error(ValueError("x" * 5000))) == MAX_ERROR_LENGTH
