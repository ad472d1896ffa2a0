"""schemas.compatibility: a change a reader of the last published version could not follow is named, and a
widening is not."""

from __future__ import annotations

import json

import pytest

from schemas.compatibility import backward_problems
from schemas.generate import message_schemas

SCHEMAS = {schema.name: schema for schema in message_schemas()}


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
        ({"x-decimal-places": 0}, "x-decimal-places narrowed"),
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


def test_a_changed_default_is_a_break() -> None:
    published = SCHEMAS["order-event"].make()
    changed = json.loads(json.dumps(published))
    changed["properties"]["currency"]["default"] = "EUR"
    assert "currency: default changed from 'USD' to 'EUR'" in backward_problems(published, changed)
