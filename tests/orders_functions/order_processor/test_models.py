"""order_processor.models: what order-processing reads, read tolerantly where it may be and strictly where it
must be (ids, money, the total)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from orders_functions.order_processor.models import (
    ORDER_CREATED_READER_RULES,
    OrderCancelled,
    OrderCreated,
    OrderUpdated,
    order_message_adapter,
)

CREATED = {"event_type": "order.created", "order_id": "o-1", "customer_id": "c-1"}


def problems(model: Any, body: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(body)
    return [f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in raised.value.errors(include_url=False)]


def test_amount_is_the_total_when_the_total_is_absent() -> None:
    assert OrderCreated.model_validate({**CREATED, "amount": "120.5"}).total == Decimal("120.50")


def test_a_total_and_the_same_amount_beside_it_are_one_total() -> None:
    assert OrderCreated.model_validate({**CREATED, "total": "10", "amount": 10.0}).total == Decimal("10.00")


def test_a_total_and_an_amount_that_differ_are_refused_naming_both() -> None:
    (problem,) = problems(OrderCreated, {**CREATED, "total": "10.00", "amount": "11.00"})
    assert "total (10.00) and amount (11.00) differ" in problem


def test_a_bad_amount_is_reported_as_the_amount_the_producer_sent() -> None:
    (problem,) = problems(OrderCreated, {**CREATED, "amount": "12.345"})
    assert problem.startswith("body: Value error, amount: ")


def test_a_bad_total_beside_an_amount_is_reported_as_the_total() -> None:
    found = problems(OrderCreated, {**CREATED, "total": "lots", "amount": "5"})
    assert [p.split(":")[0] for p in found] == ["total"]


def test_neither_total_nor_amount_is_a_missing_total() -> None:
    assert problems(OrderCreated, CREATED) == ["total: Field required"]


def test_null_counts_as_not_sent_so_defaults_apply_and_required_fields_stay_required() -> None:
    created = OrderCreated.model_validate(
        {**CREATED, "total": "5", "currency": None, "customer_tier": None, "amount": None}
    )
    assert (created.currency, created.customer_tier) == ("USD", "standard")
    assert (
        OrderCancelled.model_validate({"event_type": "order.cancelled", "order_id": "o-1", "reason": None}).reason == ""
    )
    assert problems(OrderCreated, {**CREATED, "total": "5", "order_id": None}) == ["order_id: Field required"]


def test_fields_a_producer_adds_are_ignored() -> None:
    created = OrderCreated.model_validate({**CREATED, "total": "5", "retry_count": 2, "surprise": {"a": 1}})
    assert not hasattr(created, "retry_count")


def test_the_event_type_chooses_the_model() -> None:
    update = {"event_type": "order.updated", "order_id": "o-1", "update_id": "u-1", "note": "packed"}
    assert isinstance(order_message_adapter.validate_python(update), OrderUpdated)
    assert isinstance(order_message_adapter.validate_python({**CREATED, "total": "1"}), OrderCreated)
    with pytest.raises(ValidationError):
        order_message_adapter.validate_python({"event_type": "order.shipped", "order_id": "o-1"})


def test_the_schema_states_the_reader_rules_json_schema_cannot() -> None:
    schema = OrderCreated.model_json_schema()
    assert schema["x-reader-rules"] == list(ORDER_CREATED_READER_RULES)
    assert "total" not in schema["required"]
    assert schema["then"] == {"required": ["amount"]}
