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


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: s["properties"].pop("customer_id"), "customer_id: removed (or renamed)"),
        (lambda s: s["required"].append("item_count"), "item_count: newly required"),
        (lambda s: s["properties"]["order_id"].update(maxLength=10), "order_id: maxLength narrowed from 64 to 10"),
        (lambda s: s["properties"]["total"].update(maximum=1000), "total: maximum narrowed"),
        (lambda s: s["properties"]["customer_tier"].update(enum=["standard"]), "customer_tier: enum narrowed"),
        (lambda s: s["properties"]["currency"].update(type="integer"), "currency: type narrowed"),
        (lambda s: s.update(additionalProperties=False), "additional properties newly forbidden"),
    ],
)
def test_a_backward_incompatible_change_is_caught(change: object, problem: str) -> None:
    published = SCHEMAS["order-created"].make()
    changed = json.loads(json.dumps(published))
    change(changed)  # type: ignore[operator]
    assert any(problem in found for found in backward_problems(published, changed))


def test_the_order_event_schema_and_its_reader_agree_on_every_routing_table_body() -> None:
    """Valid by the schema exactly when the reader (OrderEvent, after deriving what may be left out) takes it."""
    from pydantic import ValidationError

    from orders_common.events import OrderEvent

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
    """The stacks cannot import the handlers' package yet (issue 18): the two constants are checked equal."""
    from orders_common.bus import ORDER_CREATED, ORDERS_SOURCE
    from stacks.orchestration_stack import HIGH_VALUE_PATTERN
    from stacks.orchestration_stack import ORDERS_SOURCE as STACK_SOURCE

    assert STACK_SOURCE == ORDERS_SOURCE
    assert HIGH_VALUE_PATTERN.detail_type == [ORDER_CREATED]


def test_a_field_made_nullable_is_not_a_break() -> None:
    """Found by trying to break the checker: it reported 'union member removed' for a wider field."""
    published = SCHEMAS["order-created"].make()
    nullable = json.loads(json.dumps(published))
    nullable["properties"]["currency"] = {"anyOf": [published["properties"]["currency"], {"type": "null"}]}
    assert backward_problems(published, nullable) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"multipleOf": 2}, "multipleOf narrowed"),
        ({"decimal_places": 0}, "decimal_places narrowed"),
        ({"format": "date-time"}, "format changed"),
    ],
)
def test_the_narrowings_pydantic_and_json_schema_spell_otherwise_are_caught(change: dict, problem: str) -> None:
    """Found by trying to break the checker: a price's precision (pydantic's decimal_places) and multipleOf
    narrowed without a finding."""
    published = SCHEMAS["order-created"].make()
    changed = json.loads(json.dumps(published))
    changed["properties"]["item_count"].update(change)
    assert any(problem in found for found in backward_problems(published, changed))
