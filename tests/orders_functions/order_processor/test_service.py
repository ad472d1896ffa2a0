"""order_processor.service against moto, through the handler: each fact stored once, what the stored order
announces, what is poison."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import boto3
import pytest

from orders_functions.order_processor import handler
from tests.orders_functions.faults import record_calls
from tests.orders_functions.order_processor.helpers import (
    bus_events,
    order,
    orders_table,
    published,
    reasons,
    send,
    stored_orders,
)
from tests.orders_functions.sqs_harness import QueueHarness


def test_a_batch_of_orders_is_stored(order_env: QueueHarness) -> None:
    for i in range(3):
        send(order_env, order(f"o-{i}"))
    delivery = order_env.deliver(handler.lambda_handler)
    assert delivery.failed_ids == []
    stored = stored_orders()
    assert set(stored) == {"o-0", "o-1", "o-2"}
    assert stored["o-1"]["total"] == Decimal("120.50")
    assert stored["o-1"]["status"] == "CREATED"
    assert order_env.depth() == 0
    events = {e["body"]["order_id"]: e for e in published(order_env)}
    assert set(events) == {"o-0", "o-1", "o-2"}
    assert events["o-1"]["attributes"]["event_type"] == "order.created"
    assert events["o-1"]["attributes"]["amount"] == "120.50"
    assert "internal" not in events["o-1"]["attributes"]
    assert events["o-1"]["body"]["event_id"] == "o-1/order.created"
    assert events["o-1"]["body"]["customer_tier"] == "premium"


def test_an_order_sent_twice_is_created_once(order_env: QueueHarness) -> None:
    send(order_env, order("o-dup"))
    order_env.deliver(handler.lambda_handler)
    first = stored_orders()["o-dup"]
    writes = record_calls(handler.runtime().service.store._table.meta.client, "UpdateItem")

    send(order_env, order("o-dup", total="120.5"))  # a second message id, the same order (spelled otherwise)
    delivery = order_env.deliver(handler.lambda_handler)

    assert delivery.failed_ids == []
    assert stored_orders() == {"o-dup": first}  # created_at unchanged: nothing was rewritten
    assert writes == []  # the stored fact answered; nothing was written
    assert [e["body"]["event_id"] for e in published(order_env)] == ["o-dup/order.created"]  # announced once
    assert order_env.depth() == 0
    assert order_env.dead_letters() == []


def test_a_duplicate_inside_one_batch_is_created_once(order_env: QueueHarness) -> None:
    send(order_env, order("o-twin"))
    send(order_env, order("o-twin"))
    delivery = order_env.deliver(handler.lambda_handler)
    assert delivery.failed_ids == []
    assert len(delivery.message_ids) == 2
    assert list(stored_orders()) == ["o-twin"]


def test_the_same_order_id_with_other_content_is_dead_lettered_not_merged(order_env: QueueHarness) -> None:
    send(order_env, order("o-conflict", total="10.00"))
    order_env.deliver(handler.lambda_handler)
    send(order_env, order("o-conflict", total="99999.00"))
    delivery = order_env.deliver(handler.lambda_handler)
    assert delivery.failed_ids == []
    assert stored_orders()["o-conflict"]["total"] == Decimal("10.00")
    (reason,) = reasons(order_env).values()
    assert "already placed with different content" in reason


# --- Tolerant reader (issue 15) ----------------------------------------------------------------------


def test_fields_a_producer_adds_are_ignored_and_the_order_is_stored(order_env: QueueHarness) -> None:
    """A producer that adds an optional field (or the chapter's retry_count) must not poison every message."""
    send(order_env, order("o-extra", surprise="field", retry_count=2))
    assert order_env.deliver(handler.lambda_handler).failed_ids == []
    assert set(stored_orders()) == {"o-extra"}
    assert order_env.dead_letters() == []


def test_amount_is_read_as_the_total_when_the_total_is_absent(order_env: QueueHarness) -> None:
    chapter = {"event_type": "order.created", "order_id": "o-amt", "customer_id": "c-1", "amount": 120.5}
    send(order_env, chapter)
    order_env.deliver(handler.lambda_handler)
    assert stored_orders()["o-amt"]["total"] == Decimal("120.50")
    (event,) = published(order_env)
    assert event["attributes"]["amount"] == "120.50"


def test_a_total_and_an_amount_that_differ_are_poison_naming_both(order_env: QueueHarness) -> None:
    send(order_env, {**order("o-two"), "amount": "99.00"})
    order_env.deliver(handler.lambda_handler)
    (dead,) = order_env.dead_letters()
    assert "total (120.50) and amount (99.00) differ" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert stored_orders() == {}


def test_a_cancellation_days_before_its_order_is_kept_and_takes_effect_when_the_order_arrives(
    order_env: QueueHarness,
) -> None:
    """Defect 7: a cancellation that overtook its order was retried ~150 s, then dead-lettered."""
    cancel = {"event_type": "order.cancelled", "order_id": "o-late", "reason": "changed my mind"}
    send(order_env, cancel)
    first = order_env.deliver(handler.lambda_handler)
    assert first.failed_ids == []  # kept, not retried: nothing waits on the queue
    assert stored_orders()["o-late"]["status"] == "AWAITING_ORDER"
    assert published(order_env) == []  # nothing is announced before the order itself

    # ... days later (no retry budget is involved), the order arrives
    send(order_env, order("o-late"))
    order_env.drain(handler.lambda_handler)

    stored = stored_orders()["o-late"]
    assert stored["status"] == "CANCELLED"
    assert stored["cancel_reason"] == "changed my mind"
    assert order_env.dead_letters() == []
    events = published(order_env)
    assert [e["body"]["event_type"] for e in events] == ["order.created", "order.cancelled"]
    assert events[1]["attributes"]["amount"] == "120.50"  # the refund amount comes from the stored order
    # Found by trying to break the claims: payment charged the order, then refunded it. order.created now
    # says the cancellation came first, so nothing is ever charged.
    assert events[0]["body"]["cancelled_before_placed"] is True


def test_an_order_cancelled_after_it_was_placed_says_nothing_of_it(order_env: QueueHarness) -> None:
    send(order_env, order("o-1"))
    order_env.deliver(handler.lambda_handler)
    send(order_env, {"event_type": "order.cancelled", "order_id": "o-1"})
    order_env.deliver(handler.lambda_handler)
    created, _ = published(order_env)
    assert "cancelled_before_placed" not in created["body"]


def test_an_update_before_its_order_is_announced_after_the_order(order_env: QueueHarness) -> None:
    send(order_env, {"event_type": "order.updated", "order_id": "o-early", "update_id": "u-1", "note": "gift wrap"})
    order_env.deliver(handler.lambda_handler)
    send(order_env, order("o-early"))
    order_env.deliver(handler.lambda_handler)
    assert [e["body"]["event_id"] for e in published(order_env)] == [
        "o-early/order.created",
        "o-early/order.updated/u-1",
    ]


def test_cancelling_twice_is_harmless(order_env: QueueHarness) -> None:
    send(order_env, order("o-c"))
    order_env.deliver(handler.lambda_handler)
    cancel = {"event_type": "order.cancelled", "order_id": "o-c"}
    send(order_env, cancel)
    send(order_env, cancel)
    delivery = order_env.deliver(handler.lambda_handler)
    assert delivery.failed_ids == []
    assert stored_orders()["o-c"]["status"] == "CANCELLED"


@pytest.mark.parametrize(
    "body",
    ["", "[]", "null", json.dumps({"order_id": "no-type"}), json.dumps(order(total="1.234"))],
)
def test_every_malformed_body_is_a_poison_message(order_env: QueueHarness, body: str) -> None:
    if body:
        send(order_env, body)
    else:
        order_env.sqs.send_message(QueueUrl=order_env.queue_url, MessageBody=" ")
    order_env.deliver(handler.lambda_handler)
    (message,) = order_env.dead_letters()
    assert message["MessageAttributes"]["failure_kind"]["StringValue"] == "poison"
    assert stored_orders() == {}


def test_an_internal_update_is_published_with_the_internal_attribute_and_no_amount(order_env: QueueHarness) -> None:
    send(order_env, order("o-u"))
    order_env.deliver(handler.lambda_handler)
    published(order_env)
    update = {"event_type": "order.updated", "order_id": "o-u", "update_id": "u-1", "note": "picked", "internal": True}
    public = {**update, "update_id": "u-2", "note": "shipped", "internal": False}
    order_env.sqs.send_message(
        QueueUrl=order_env.queue_url,
        MessageBody=json.dumps(update),
        MessageAttributes={"correlation_id": {"DataType": "String", "StringValue": "corr-42"}},
    )
    send(order_env, public)
    order_env.deliver(handler.lambda_handler)
    events = {e["body"]["event_id"]: e for e in published(order_env)}
    internal, shipped = events["o-u/order.updated/u-1"], events["o-u/order.updated/u-2"]
    assert internal["attributes"]["internal"] == "true"
    assert internal["attributes"]["correlation_id"] == "corr-42"
    assert "amount" not in internal["attributes"]
    assert "internal" not in shipped["attributes"]
    assert set(stored_orders()["o-u"]["updates"]) == {"u-1", "u-2"}


def expire_every_item_with_a_time_to_live() -> None:
    """Months pass: DynamoDB's TTL has removed every item with an expiry (Powertools' idempotency records, say)."""
    dynamodb = boto3.resource("dynamodb")
    for name in boto3.client("dynamodb").list_tables()["TableNames"]:
        table = dynamodb.Table(name)
        keys = [key["AttributeName"] for key in table.key_schema]
        for item in table.scan()["Items"]:
            if "expiration" in item or "expires_at" in item:
                table.delete_item(Key={key: item[key] for key in keys})


def test_a_duplicate_of_any_age_announces_nothing(order_env: QueueHarness) -> None:
    """The idempotency record expired after its TTL (1 h in dev); the stored order never does."""
    send(order_env, order("o-old"))
    order_env.deliver(handler.lambda_handler)
    assert len(published(order_env)) == len(bus_events(order_env)) == 1
    expire_every_item_with_a_time_to_live()
    send(order_env, order("o-old"))  # months later
    order_env.deliver(handler.lambda_handler)
    assert published(order_env) == []
    assert bus_events(order_env) == []


def test_a_late_duplicate_of_a_cancelled_order_announces_nothing_and_starts_no_flow(order_env: QueueHarness) -> None:
    big = order("o-gone", total="2500.00", customer_tier="enterprise")
    send(order_env, big)
    order_env.deliver(handler.lambda_handler)
    send(order_env, {"event_type": "order.cancelled", "order_id": "o-gone"})
    order_env.deliver(handler.lambda_handler)
    assert [e["body"]["event_type"] for e in published(order_env)] == ["order.created", "order.cancelled"]
    assert len(bus_events(order_env)) == 1
    expire_every_item_with_a_time_to_live()
    send(order_env, big)  # the late duplicate
    assert order_env.deliver(handler.lambda_handler).failed_ids == []
    assert published(order_env) == []
    assert bus_events(order_env) == []
    assert stored_orders()["o-gone"]["status"] == "CANCELLED"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\ufffe", "note: Value error, contains U+FFFE"),
        ("\x00", "note: Value error, contains U+0000"),
        ("\ud800", "note: Input should be a valid string"),
    ],
)
def test_a_text_sqs_and_sns_cannot_carry_is_refused_at_the_entry_naming_the_field(
    order_env: QueueHarness, text: str, expected: str
) -> None:
    """A note spelled with a JSON escape (``"\\ufffe"``) passes SQS, but the event that carries it could not be
    published (SNS and SQS refuse the character): refused where it enters, naming the field."""
    update = {"event_type": "order.updated", "order_id": "o-1", "update_id": "u-1", "note": f"gift {text}"}
    send(order_env, json.dumps(update))  # json.dumps escapes the character: the body itself is carriable
    order_env.deliver(handler.lambda_handler)
    (dead,) = order_env.dead_letters()
    reason = dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert dead["MessageAttributes"]["failure_kind"]["StringValue"] == "poison"
    assert expected in reason
    assert stored_orders() == {}


# --- Found by trying to break the claims (a reviewer's tests, kept) ----------------------------------


def put_item_of_the_previous_version(order_id: str = "o-legacy", **extra: Any) -> None:
    """What OrderStore wrote before orders kept facts: the order, its status, no version, no marks."""
    item = {
        "order_id": order_id,
        "customer_id": "c-1",
        "customer_tier": "premium",
        "total": Decimal("120.5"),
        "currency": "EUR",
        "items": [{"sku": "sku-1", "quantity": 2, "unit_price": Decimal("60.25")}],
        "status": "CREATED",
        "created_at": "2025-01-01T10:00:00+00:00",
        **extra,
    }
    orders_table().put_item(Item=item)


def test_a_late_duplicate_of_an_order_stored_by_the_previous_version_announces_nothing(
    order_env: QueueHarness,
) -> None:
    """The previous code stored and announced it; its item has no marks: it was re-announced (and re-run the flow)."""
    put_item_of_the_previous_version()
    send(order_env, order("o-legacy"))
    assert order_env.deliver(handler.lambda_handler).failed_ids == []
    assert published(order_env) == []
    assert bus_events(order_env) == []


def test_an_update_stored_by_the_previous_version_is_a_fact_duplicates_and_conflicts_included(
    order_env: QueueHarness,
) -> None:
    put_item_of_the_previous_version(last_note="gift wrap", last_update_id="u-1", updated_at="2025-01-02T10:00:00Z")
    send(order_env, {"event_type": "order.updated", "order_id": "o-legacy", "update_id": "u-1", "note": "gift wrap"})
    order_env.deliver(handler.lambda_handler)
    assert published(order_env) == []
    send(order_env, {"event_type": "order.updated", "order_id": "o-legacy", "update_id": "u-1", "note": "else"})
    order_env.deliver(handler.lambda_handler)
    (dead,) = order_env.dead_letters()
    assert "already recorded with a different note" in dead["MessageAttributes"]["failure_reason"]["StringValue"]


def test_a_new_fact_of_an_order_of_the_previous_version_announces_only_itself(order_env: QueueHarness) -> None:
    put_item_of_the_previous_version(status="CANCELLED", cancelled_at="2025-01-03T00:00:00Z", cancel_reason="")
    send(order_env, {"event_type": "order.updated", "order_id": "o-legacy", "update_id": "u-9", "note": "refund sent"})
    order_env.deliver(handler.lambda_handler)
    assert [e["body"]["event_id"] for e in published(order_env)] == ["o-legacy/order.updated/u-9"]
    item = stored_orders()["o-legacy"]
    assert item["version"] == 1
    assert item["published"] == {"o-legacy/order.created", "o-legacy/order.cancelled", "o-legacy/order.updated/u-9"}
    send(order_env, order("o-legacy"))  # and a late duplicate of the old order changes nothing either
    order_env.deliver(handler.lambda_handler)
    assert published(order_env) == []


def test_facts_of_different_orders_never_share_an_event_id(order_env: QueueHarness) -> None:
    """Ids may hold ':': 'a' updated by 'b:order.created' and order 'a:order.updated:b' were both
    'a:order.updated:b:order.created', so consumers dropped one of them as a duplicate."""
    send(order_env, order("a"))
    send(order_env, {"event_type": "order.updated", "order_id": "a", "update_id": "b:order.created", "note": "hi"})
    send(order_env, order("a:order.updated:b", customer_id="c-2"))
    order_env.drain(handler.lambda_handler)
    ids = [e["body"]["event_id"] for e in published(order_env)]
    assert len(ids) == len(set(ids)) == 3


def test_a_total_of_minus_zero_is_zero(order_env: QueueHarness) -> None:
    send(order_env, order("o-zero", total="-0"))
    order_env.deliver(handler.lambda_handler)
    (event,) = published(order_env)
    assert event["attributes"]["amount"] == "0.00"


# --- Found by trying to break the contract claims (a reviewer's tests, kept) -------------------------


@pytest.mark.parametrize("amount", ["120.505", -120.5, 1_000_000_000_000, "twelve"])
def test_a_total_with_an_invalid_amount_beside_it_is_poison_naming_amount(order_env: QueueHarness, amount: Any) -> None:
    """An invalid amount next to a valid total was ignored as an unknown field: the order was stored."""
    send(order_env, {**order("o-1"), "amount": amount})
    order_env.deliver(handler.lambda_handler)
    (dead,) = order_env.dead_letters()
    assert "amount:" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert stored_orders() == {}


def test_a_bad_amount_without_a_total_is_reported_as_the_amount(order_env: QueueHarness) -> None:
    """It was reported as 'total', a field the producer never sent."""
    send(order_env, {"event_type": "order.created", "order_id": "o-1", "customer_id": "c-1", "amount": "120.505"})
    order_env.deliver(handler.lambda_handler)
    (dead,) = order_env.dead_letters()
    reason = dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert "amount: Value error, money as text is digits with at most two decimal places" in reason


def test_a_null_optional_field_counts_as_not_sent(order_env: QueueHarness) -> None:
    """Found by the second review: order events read null as absent, order-processing dead-lettered it
    (an amount of null beside a total, a null currency)."""
    send(order_env, {**order("o-null"), "amount": None, "currency": None})
    send(order_env, {"event_type": "order.cancelled", "order_id": "o-other", "reason": None})
    order_env.drain(handler.lambda_handler)
    assert order_env.dead_letters() == []
    assert stored_orders()["o-null"]["currency"] == "USD"


@pytest.mark.parametrize("total", ["abc", "-5", " 5 ", "2.5e3", "1,00"])
def test_money_as_text_is_plain_digits(order_env: QueueHarness, total: str) -> None:
    send(order_env, {**order("o-text"), "total": total})
    order_env.deliver(handler.lambda_handler)
    (dead,) = order_env.dead_letters()
    assert "total" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert stored_orders() == {}


class _Outbox:
    """A topic or a bus that records what it was given, failing the first ``failures`` sends."""

    def __init__(self, failures: int = 0) -> None:
        self.sent: list[str] = []
        self.failures = failures

    def _send(self, event_id: str) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("unavailable")
        self.sent.append(event_id)

    def publish(self, event: Any) -> None:
        self._send(event.event_id)

    def put_order_created(self, detail: dict[str, Any]) -> None:
        self._send(detail["event_id"])


def test_the_service_marks_an_announcement_only_once_it_is_out(order_env: QueueHarness) -> None:
    """OrderProcessor, without the Lambda shell: publish after store, mark after publish, never the reverse."""
    from aws_lambda_powertools import Logger, Metrics

    from orders_functions.order_processor.service import (
        PUBLISHED,
        PUT_ON_BUS,
        OrderProcessor,
        OrderStore,
        parse_order_message,
    )

    store = OrderStore(orders_table())
    topic, bus = _Outbox(failures=1), _Outbox()
    processor = OrderProcessor(store, topic, bus, Logger(service="test"), Metrics(namespace="test"))  # type: ignore[arg-type]
    applied = store.apply(parse_order_message(json.dumps(order("o-svc"))), "corr-1")
    with pytest.raises(RuntimeError):
        processor.announce(applied.order)  # the topic is down: nothing is marked, nothing reaches the bus
    stored = store.get("o-svc")
    assert stored is not None and not stored.get(PUBLISHED) and not stored.get(PUT_ON_BUS)
    assert bus.sent == []
    assert processor.announce(stored) == ["o-svc/order.created", "bus:o-svc/order.created"]
    assert topic.sent == bus.sent == ["o-svc/order.created"]
    assert processor.announce(store.get("o-svc") or {}) == []  # marked: a redelivery announces nothing
