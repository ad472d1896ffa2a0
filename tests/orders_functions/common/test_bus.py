"""common.bus: putting events on the bus (schema checked first, failed entries retried, requests sized as
EventBridge sizes them)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities.validation.exceptions import SchemaValidationError

from orders_functions.common.bus import (
    PUT_EVENTS_MAX_ENTRY_BYTES,
    PUT_EVENTS_MAX_REQUEST_BYTES,
    BusEvent,
    BusPublisher,
    PutEventsError,
    entry_size,
)

DETAIL = {
    "order_id": "o-1",
    "customer_id": "c-1",
    "customer_tier": "enterprise",
    "total": 2500.0,
    "currency": "USD",
    "correlation_id": "corr-1",
}


class FlakyEvents:
    """Answers PutEvents like EventBridge, failing chosen entries with chosen codes a number of times."""

    def __init__(self, failures: dict[str, list[str]]) -> None:
        self.failures = failures
        self.calls: list[list[dict[str, Any]]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.calls.append(Entries)
        results = []
        for entry in Entries:
            order_id = json.loads(entry["Detail"])["order_id"]
            codes = self.failures.get(order_id, [])
            if codes:
                results.append({"ErrorCode": codes.pop(0), "ErrorMessage": "injected"})
            else:
                results.append({"EventId": f"e-{order_id}"})
        return {"FailedEntryCount": sum(1 for r in results if "ErrorCode" in r), "Entries": results}


def events_for(*order_ids: str) -> list[BusEvent]:
    return [BusEvent("OrderCreated", {**DETAIL, "order_id": order_id}) for order_id in order_ids]


def test_failed_entries_are_retried_until_put() -> None:
    client = FlakyEvents({"o-2": ["ThrottlingException", "InternalException"]})
    ids = BusPublisher(client, "orders", sleep=lambda _: None).put(events_for("o-1", "o-2", "o-3"))
    assert sorted(ids) == ["e-o-1", "e-o-2", "e-o-3"]
    assert [len(call) for call in client.calls] == [3, 1, 1]


def test_entries_that_keep_failing_or_cannot_succeed_are_named() -> None:
    client = FlakyEvents({"o-1": ["ThrottlingException"] * 10, "o-2": ["MalformedDetail"]})
    with pytest.raises(PutEventsError) as raised:
        BusPublisher(client, "orders", sleep=lambda _: None, max_attempts=3).put(events_for("o-1", "o-2", "o-3"))
    assert sorted((e.detail["order_id"], code) for e, code, _ in raised.value.failed) == [
        ("o-1", "ThrottlingException"),
        ("o-2", "MalformedDetail"),
    ]
    assert sum(1 for call in client.calls for e in call if '"o-2"' in e["Detail"]) == 1


def test_more_than_ten_events_are_put_in_chunks() -> None:
    client = FlakyEvents({})
    BusPublisher(client, "orders").put(events_for(*[f"o-{i}" for i in range(23)]))
    assert [len(call) for call in client.calls] == [10, 10, 3]


def test_requests_stay_within_256_kb_in_all_whatever_the_entries_weigh() -> None:
    """AWS limits one PutEvents request to 256 KB of entries in all, not only to 10 entries (issue 19)."""
    client = FlakyEvents({})
    padding = "x" * (PUT_EVENTS_MAX_ENTRY_BYTES // 3)  # each entry about a third of the limit
    events = [BusEvent("OrderCreated", {**DETAIL, "order_id": f"o-{i}", "note": padding}) for i in range(7)]
    ids = BusPublisher(client, "orders").put(events)
    assert len(ids) == 7
    assert [len(call) for call in client.calls] == [2, 2, 2, 1]  # three together exceed 256 KB with their other fields
    assert all(sum(entry_size(entry) for entry in call) <= PUT_EVENTS_MAX_REQUEST_BYTES for call in client.calls)
    assert [json.loads(e["Detail"])["order_id"] for call in client.calls for e in call] == [f"o-{i}" for i in range(7)]


def test_an_entry_is_sized_as_eventbridge_sizes_it() -> None:
    """Time counts 14 bytes; Source, DetailType, Detail and each resource their UTF-8 bytes."""
    entry = {"Time": 1, "Source": "src", "DetailType": "ü", "Detail": "{}", "Resources": ["arn:a", "é"]}
    assert entry_size(entry) == 14 + 3 + 2 + 2 + 5 + 2


def test_an_order_created_detail_that_breaks_the_schema_is_not_put() -> None:
    client = FlakyEvents({})
    with pytest.raises(SchemaValidationError):
        BusPublisher(client, "orders").put_order_created({**DETAIL, "total": "lots"})
    assert client.calls == []
