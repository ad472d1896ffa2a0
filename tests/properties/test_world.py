"""The world the generated histories run in: what its faults hit must be decided by the history alone."""

from __future__ import annotations

import json

import pytest

from tests.properties.world import mentions


@pytest.mark.parametrize(
    "parameters",
    [
        {"Key": {"order_id": {"S": "a"}}},
        {"Message": json.dumps({"event_type": "order.created", "order_id": "a"})},
        {"MessageBody": json.dumps({"transaction_id": "a.charge", "account_id": "c"})},
        {"TransactItems": [{"Put": {"Item": {"entry": {"S": "a.refund"}}}}]},
        {"Entries": [{"Detail": json.dumps({"event_id": "a/order.updated/u-1"})}]},
        {"Body": b'{"order_id": "b"}\n{"order_id": "a"}\n'},
    ],
)
def test_an_order_is_mentioned_by_its_id_and_the_ids_derived_from_it(parameters: dict[str, object]) -> None:
    assert mentions(parameters, "a")


@pytest.mark.parametrize(
    "parameters",
    [
        # Regression: matched as a substring, an outage for order "a" hit any call whose ids held an "a"
        # (moto's message ids are random), so a history did not repeat itself.
        {"QueueUrl": "https://sqs/queue", "ReceiptHandle": "3fa85f64a", "MessageId": "a7c1"},
        {"Key": {"message_key": {"S": "arn:aws:sqs:us-east-1:123:q|a-1"}}},
        {"Message": json.dumps({"order_id": "ab", "correlation_id": "xa"})},
        {"MessageBody": json.dumps({"transaction_id": "ab.charge"})},
        {"Entries": [{"Detail": json.dumps({"event_id": "ab/order.created"})}]},
        {"Body": b"not json, but a"},
        {"Key": "a/dt=2026-12-01/0f3c.json"},  # an object key under a folder named like the order
    ],
)
def test_another_order_or_an_id_that_merely_contains_it_is_not_a_mention(parameters: dict[str, object]) -> None:
    assert not mentions(parameters, "a")
