"""schemas/order-event.schema.json is generated from the OrderEvent model and must stay in sync."""

from __future__ import annotations

import json

import jsonschema

from schemas.generate import ORDER_EVENT_SCHEMA, render
from tests.routing import order_event_routes


def test_the_schema_file_matches_the_model() -> None:
    assert ORDER_EVENT_SCHEMA.read_text() == render(), "run: python schemas/generate.py"


def test_the_routing_table_bodies_are_valid_order_events_where_their_type_is_known() -> None:
    schema = json.loads(ORDER_EVENT_SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    known = {"order.created", "order.cancelled", "order.updated"}
    checked = 0
    for route in order_event_routes()["events"]:
        if route["body"]["event_type"] in known:
            assert list(validator.iter_errors(route["body"])) == [], route["name"]
            checked += 1
    assert checked >= 10
