"""One source of limits: every id derived from the longest ids a message may carry fits wherever it goes.

Defect 1 of the exactly-once issue: the order model accepted a 64-character order id, payment
derived ``<order_id>.charge`` (71 characters), and the balance-update model refused it: the
payment was authorised and the charge was dead-lettered forever. Here every derivation of
:mod:`orders_functions.common.limits` is built from the longest identifiers, and checked against each model
field and AWS limit it reaches.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from pydantic import TypeAdapter

from event_runtime.errors import PoisonMessageError
from orders_functions.balance_updater.models import BalanceUpdate
from orders_functions.common import limits
from orders_functions.common.bus import order_created_schema
from orders_functions.common.events import OrderEvent
from orders_functions.common.limits import (
    DYNAMODB_MAX_PARTITION_KEY_BYTES,
    DYNAMODB_MAX_SORT_KEY_BYTES,
    IDENTIFIER_MAX_LENGTH,
    SQS_MAX_DEDUPLICATION_ID_LENGTH,
    SQS_MAX_GROUP_ID_LENGTH,
)
from orders_functions.order_processor.models import OrderCreated
from orders_functions.order_processor.service import decide, order_created_detail, parse_order_message

LONGEST = "x" * IDENTIFIER_MAX_LENGTH
#: Every character an identifier may hold (the longest id, spelled with all of them).
ALPHABET = "AZaz09_.:-"
LONGEST_MIXED = (ALPHABET * 7)[:IDENTIFIER_MAX_LENGTH]


def longest_order(**overrides: Any) -> OrderCreated:
    return OrderCreated.model_validate(
        {
            "event_type": "order.created",
            "order_id": LONGEST_MIXED,
            "customer_id": LONGEST,
            "customer_tier": "enterprise",
            "total": str(limits.MONEY_MAX),
            **overrides,
        }
    )


def derivations(order_id: str, customer_id: str, update_id: str) -> dict[str, str]:
    return {
        "charge transaction": limits.charge_transaction_id(order_id),
        "refund transaction": limits.refund_transaction_id(order_id),
        "order.created event": limits.order_event_id(order_id, "order.created"),
        "order.cancelled event": limits.order_event_id(order_id, "order.cancelled"),
        "order.updated event": limits.order_event_id(order_id, "order.updated", update_id),
        "account": customer_id,
    }


def test_every_derived_transaction_fits_the_balance_update_and_sqs_fifo() -> None:
    ids = derivations(LONGEST_MIXED, LONGEST, LONGEST)
    for kind in ("charge", "refund"):
        transaction_id = ids[f"{kind} transaction"]
        update = BalanceUpdate.model_validate(
            {
                "account_id": ids["account"],
                "transaction_id": transaction_id,
                "amount": str(-limits.MONEY_MAX if kind == "charge" else limits.MONEY_MAX),
                "description": limits.transaction_description(kind, LONGEST_MIXED),
                "reverses": ids["charge transaction"] if kind == "refund" else None,
            }
        )
        assert update.transaction_id == transaction_id
        assert len(transaction_id) <= SQS_MAX_DEDUPLICATION_ID_LENGTH  # the deduplication id
        assert len(f"TXN#{transaction_id}".encode()) <= DYNAMODB_MAX_SORT_KEY_BYTES  # the ledger's sort key
    assert len(ids["account"]) <= SQS_MAX_GROUP_ID_LENGTH  # the message group
    assert len(ids["account"].encode()) <= DYNAMODB_MAX_PARTITION_KEY_BYTES


def test_every_derived_event_id_fits_the_order_event_the_bus_schema_and_the_notification_key() -> None:
    order = longest_order()
    item = decide(None, order, correlation_id="c" * limits.CORRELATION_ID_MAX_LENGTH, now="2026-12-01T00:00:00Z").item
    detail = order_created_detail(item)
    jsonschema.Draft4Validator(order_created_schema()).validate(detail)
    for name, event_id in derivations(LONGEST_MIXED, LONGEST, LONGEST).items():
        if not name.endswith("event"):
            continue
        event = OrderEvent.model_validate(
            {
                "event_id": event_id,
                "event_type": name.removesuffix(" event"),
                "order_id": LONGEST_MIXED,
                "customer_id": LONGEST,
                "occurred_at": "2026-12-01T00:00:00Z",
                "correlation_id": "c" * limits.CORRELATION_ID_MAX_LENGTH,
                "amount": str(limits.MONEY_MAX),
            }
        )
        assert event.event_id == event_id
        assert len(event_id) <= limits.EVENT_ID_MAX_LENGTH
        assert len(event_id.encode()) <= DYNAMODB_MAX_PARTITION_KEY_BYTES  # notification_id
        jsonschema.Draft4Validator(order_created_schema()["properties"]["event_id"]).validate(event_id)


def test_the_bus_schema_states_the_same_limits_as_the_models() -> None:
    properties = order_created_schema()["properties"]
    for field in ("order_id", "customer_id"):
        assert properties[field]["maxLength"] == IDENTIFIER_MAX_LENGTH
        assert properties[field]["pattern"] == limits.IDENTIFIER_PATTERN
    (event_id, _null) = properties["event_id"]["anyOf"]  # optional
    assert event_id["maxLength"] == limits.EVENT_ID_MAX_LENGTH
    (correlation_id, _null) = properties["correlation_id"]["anyOf"]  # optional: the flow runs without one
    assert correlation_id["maxLength"] == limits.CORRELATION_ID_MAX_LENGTH
    assert Decimal(str(properties["total"]["maximum"])) == limits.MONEY_MAX


def test_the_largest_amount_is_inside_snss_numeric_filter_range() -> None:
    """SNS compares numeric attributes between -10⁹ and 10⁹: a larger order would miss the payment filter."""
    assert limits.MONEY_MAX < 10**9
    assert Decimal(repr(float(limits.MONEY_MAX))) == limits.MONEY_MAX  # the JSON number carries it exactly


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("order_id", {"order_id": "x" * (IDENTIFIER_MAX_LENGTH + 1)}),
        ("customer_id", {"customer_id": "a b"}),
        ("customer_id", {"customer_id": "ü"}),
        ("total", {"total": str(limits.MONEY_MAX + Decimal("0.01"))}),
        ("total", {"total": "1.001"}),
    ],
)
def test_an_id_or_amount_that_cannot_be_carried_end_to_end_is_refused_at_the_entry_naming_the_field(
    field: str, body: dict[str, Any]
) -> None:
    message = {"event_type": "order.created", "order_id": "o-1", "customer_id": "c-1", "total": "1", **body}
    with pytest.raises(PoisonMessageError, match=field):
        parse_order_message(json.dumps(message))


@pytest.mark.parametrize(("spelling", "amount"), [("120.5", "120.50"), ("120.50", "120.50"), (120.5, "120.50")])
def test_money_is_held_with_two_places_whatever_its_spelling(spelling: Any, amount: str) -> None:
    assert str(TypeAdapter(limits.Money).validate_python(spelling)) == amount
