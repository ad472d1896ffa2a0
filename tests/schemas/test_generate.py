"""Every message type's JSON Schema is generated from its model, current, valid, and backward compatible.

``schemas/generate.py`` writes them; ``schemas/versions/`` holds each one's published versions. A model
change a reader of the last published version could not follow (a field removed, renamed or newly
required, a type or limit narrowed) fails here until it is published as a new version, on purpose.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from schemas.compatibility import backward_problems
from schemas.generate import DRAFT_4, MessageSchema, message_schemas
from tests.routing import order_event_routes

SCHEMAS = {schema.name: schema for schema in message_schemas()}


@pytest.fixture(params=sorted(SCHEMAS))
def schema(request: pytest.FixtureRequest) -> MessageSchema:
    return SCHEMAS[request.param]


def test_each_schema_file_matches_its_model(schema: MessageSchema) -> None:
    assert schema.path.read_text() == schema.render(), "run: python schemas/generate.py"


def test_each_schema_is_a_valid_json_schema(schema: MessageSchema) -> None:
    document = schema.make()
    validator = jsonschema.Draft4Validator if document["$schema"] == DRAFT_4 else jsonschema.Draft202012Validator
    validator.check_schema(document)


def test_each_schema_reads_what_its_last_published_version_allowed(schema: MessageSchema) -> None:
    (*_, latest) = schema.versions()
    problems = backward_problems(json.loads(latest.read_text()), schema.make())
    assert problems == [], (
        f"{schema.name} is not backward compatible with {latest.name}: {problems}. If the break is intended, "
        f"publish it as a new version: python schemas/generate.py --new-version {schema.name}"
    )


def test_the_order_event_schema_and_its_reader_agree_on_every_routing_table_body() -> None:
    """Valid by the schema exactly when the reader (OrderEvent, after deriving what may be left out) takes it."""
    from pydantic import ValidationError

    from orders_functions.common.events import OrderEvent

    validator = jsonschema.Draft202012Validator(SCHEMAS["order-event"].make())
    known = {"order.created", "order.cancelled", "order.updated"}
    checked = 0
    for route in order_event_routes()["events"]:
        body = route["body"]
        if body["event_type"] not in known:
            continue
        try:
            OrderEvent.model_validate(body)
            read = True
        except ValidationError:
            read = False
        assert validator.is_valid(body) == read, route["name"]
        checked += 1
    assert checked >= 10


def test_the_app_and_its_producer_name_the_same_source_and_detail_type() -> None:
    """The stacks take both from the producer's module (orders_functions.common.bus)."""
    from orders_functions.common.bus import ORDER_CREATED, ORDERS_SOURCE
    from stacks.orchestration_stack import HIGH_VALUE_PATTERN
    from stacks.orchestration_stack import ORDERS_SOURCE as STACK_SOURCE

    assert STACK_SOURCE == ORDERS_SOURCE
    assert HIGH_VALUE_PATTERN.detail_type == [ORDER_CREATED]


# --- The schema is the readers' contract: what it accepts, they read --------------------------------------
# Found by trying to break it (issue 15's second review): the schemas accepted money as any text, times
# without an offset, uncarriable correlation ids, an order without total or amount and an update without
# any id, all of which the readers dead-letter. A producer that validates against a schema must not be
# dead-lettered; a reader may be more tolerant than its schema (``internal: "true"`` is read as internal).
# What JSON Schema cannot state is listed in the schema's ``x-reader-rules``, and each case the schema lets
# through for that reason names its rule here.

_CREATED = {"event_type": "order.created", "order_id": "o-1", "customer_id": "c-1"}


_EVENT = {"event_type": "order.created", "order_id": "o-1", "customer_id": "c-1", "amount": 10}


def _reads_order_message(body: dict) -> bool:
    from event_runtime.errors import PoisonMessageError
    from orders_functions.order_processor.service import read_order_message

    try:
        read_order_message(json.dumps(body))
    except PoisonMessageError:
        return False
    return True


def _reads_order_event(body: dict) -> bool:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from event_runtime.errors import PoisonMessageError
    from orders_functions.common.events import parse_order_event

    record = SQSRecord(
        {
            "messageId": "m-1",
            "body": json.dumps(body),
            "attributes": {"SentTimestamp": "1767225600000", "ApproximateReceiveCount": "1"},
            "messageAttributes": {},
        }
    )
    try:
        parse_order_event(record)
    except PoisonMessageError:
        return False
    return True


def _valid(name: str, body: dict) -> bool:
    return jsonschema.Draft202012Validator(SCHEMAS[name].make()).is_valid(body)


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        pytest.param({**_CREATED, "total": 10}, None, id="total"),
        pytest.param({**_CREATED, "amount": "10.50"}, None, id="amount-as-text"),
        pytest.param({**_CREATED, "total": 5, "amount": None}, "tolerant", id="null-amount-beside-total"),
        pytest.param({**_CREATED, "total": 5, "currency": None}, "tolerant", id="null-currency"),
        pytest.param(
            {"event_type": "order.cancelled", "order_id": "o-1", "reason": None}, "tolerant", id="null-reason"
        ),
        pytest.param(_CREATED, None, id="neither-total-nor-amount"),
        pytest.param({**_CREATED, "total": "abc"}, None, id="total-not-a-number"),
        pytest.param({**_CREATED, "amount": "abc"}, None, id="amount-not-a-number"),
        pytest.param({**_CREATED, "total": "-5"}, None, id="total-negative-text"),
        pytest.param({**_CREATED, "total": " 5 "}, None, id="total-text-with-spaces"),
        pytest.param({**_CREATED, "total": "2.5e3"}, None, id="total-text-with-exponent"),
        pytest.param({**_CREATED, "total": 10.001}, "x-decimal-places", id="total-three-places"),
        pytest.param({**_CREATED, "total": 5, "amount": 6}, "total and amount", id="total-and-amount-differ"),
    ],
)
def test_what_the_order_message_schema_accepts_order_processing_reads(body: dict, rule: str | None) -> None:
    valid, read = _valid("order-message", body), _reads_order_message(body)
    if rule is None:
        assert valid == read
    elif rule == "tolerant":  # null read as not sent: more than the schema promises
        assert read and not valid
    else:  # a rule JSON Schema cannot state: the schema says so
        assert valid and not read
        (created,) = [d for d in SCHEMAS["order-message"].make()["$defs"].values() if d["title"] == "OrderCreated"]
        assert any(rule in text for text in created["x-reader-rules"])


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        pytest.param(_EVENT, None, id="minimal"),
        pytest.param({**_EVENT, "event_type": "order.updated", "update_id": "u-1"}, None, id="update-with-update_id"),
        pytest.param({**_EVENT, "event_type": "order.updated"}, None, id="update-without-event_id-or-update_id"),
        pytest.param({**_EVENT, "event_type": "order.updated", "update_id": ""}, None, id="empty-update_id"),
        pytest.param({**_EVENT, "event_type": "order.updated", "update_id": "x" * 80}, None, id="long-update_id"),
        pytest.param({**_EVENT, "occurred_at": "yesterday"}, None, id="occurred_at-not-iso"),
        pytest.param({**_EVENT, "occurred_at": "2026-12-01T10:00:00"}, None, id="occurred_at-without-offset"),
        pytest.param({**_EVENT, "occurred_at": "2026-12-01 10:00:00+00:00"}, None, id="occurred_at-with-a-space"),
        pytest.param({**_EVENT, "occurred_at": "2026-12-01T10:00:00.5Z"}, None, id="occurred_at-fraction-z"),
        pytest.param({**_EVENT, "amount": "ten"}, None, id="amount-not-a-number"),
        pytest.param({**_EVENT, "correlation_id": "bad \ufffe"}, None, id="uncarriable-correlation-id"),
        pytest.param({**_EVENT, "correlation_id": "bad \x01"}, None, id="control-character-correlation-id"),
        pytest.param({**_EVENT, "amount": 10.001}, "x-decimal-places", id="amount-three-places"),
    ],
)
def test_what_the_order_event_schema_accepts_its_readers_read(body: dict, rule: str | None) -> None:
    valid, read = _valid("order-event", body), _reads_order_event(body)
    if rule is None:
        assert valid == read
    else:
        assert valid and not read
        assert any(rule in text for text in SCHEMAS["order-event"].make()["x-reader-rules"])


def test_a_reader_may_be_more_tolerant_than_its_schema() -> None:
    """``internal`` as text is read as internal (the safe reading), though the schema asks for a boolean."""
    body = {**_EVENT, "internal": "true"}
    assert not _valid("order-event", body) and _reads_order_event(body)


def test_money_precision_narrowed_in_a_model_is_a_break() -> None:
    """Found by the second review: pydantic writes no digits or places into a schema, so narrowing a balance
    update's amount to whole units produced the same schema and no finding. The money types state them."""
    from decimal import Decimal
    from typing import Annotated

    from pydantic import Field, TypeAdapter, ValidationError

    from orders_functions.balance_updater.models import BalanceUpdate
    from schemas.generate import _model

    class NarrowedBalanceUpdate(BalanceUpdate):
        amount: Annotated[Decimal, Field(max_digits=3, decimal_places=0)]  # type: ignore[assignment]

    narrowed = TypeAdapter(NarrowedBalanceUpdate)
    with pytest.raises(ValidationError):  # a break: the new reader refuses what the old one read
        narrowed.validate_python({"account_id": "a-1", "transaction_id": "o-1.charge", "amount": "-120.50"})
    published = json.loads(SCHEMAS["balance-update"].versions()[-1].read_text())
    new = _model(NarrowedBalanceUpdate, "balance-update")  # a plain Decimal field: the generator states its limits
    assert "amount: x-decimal-places narrowed from 2 to 0" in backward_problems(published, new)
    assert "amount: x-max-digits narrowed from 11 to 3" in backward_problems(published, new)
    assert backward_problems(published, SCHEMAS["balance-update"].make()) == []
