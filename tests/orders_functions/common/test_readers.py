"""common.readers: what every consumer does before it reads a message's content (issue 15's tolerant readers)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from aws_lambda_powertools import Logger, Metrics
from pydantic import BaseModel, Field

from event_runtime.errors import PoisonMessageError
from orders_functions.common.readers import (
    METRICS_NAMESPACE,
    UNHANDLED_EVENT_TYPES,
    count_unhandled,
    event_type_of,
    json_object,
    unknown_fields,
)


@pytest.mark.parametrize("event_type", ["order.created", "order.shipped", "payment.refund.sent"])
def test_a_well_formed_event_type_is_read_whatever_it_is(event_type: str) -> None:
    assert event_type_of({"event_type": event_type}) == event_type


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({}, "event_type: Field required"),
        ({"event_type": "Order Shipped"}, "event_type: 'Order Shipped' is not an event type"),
        ({"event_type": 7}, "event_type: 7 is not an event type"),
        ({"event_type": "order." + "x" * 200}, "is not an event type"),
    ],
)
def test_a_missing_or_malformed_event_type_is_poison_naming_the_field(body: dict, problem: str) -> None:
    with pytest.raises(PoisonMessageError, match=problem.replace(".", r"\.")):
        event_type_of(body)


class Reader(BaseModel):
    order_id: str
    kind: str = Field(alias="type")


def test_the_fields_a_reader_does_not_know_are_named_by_name_or_alias() -> None:
    assert unknown_fields({"order_id": "o-1", "type": "x", "retry_count": 2, "extra": None}, Reader) == [
        "extra",
        "retry_count",
    ]
    assert unknown_fields({"order_id": "o-1", "kind": "x"}, Reader) == []


def test_json_numbers_are_exact_and_anything_but_an_object_is_poison() -> None:
    assert json_object('{"amount": 10.10, "n": 3}') == {"amount": Decimal("10.10"), "n": 3}
    with pytest.raises(PoisonMessageError, match="SNS message is not JSON"):
        json_object("{not json", "SNS message")
    with pytest.raises(PoisonMessageError, match="body is not a JSON object"):
        json_object("[1, 2]")


def test_an_unhandled_event_type_is_acknowledged_with_one_count(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = Metrics(namespace=METRICS_NAMESPACE, service="tests")
    result = count_unhandled(metrics, Logger(service="tests", level="CRITICAL"), "order.shipped")
    assert result == {"event_type": "order.shipped", "outcome": "not_handled_here"}
    (written,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert written[UNHANDLED_EVENT_TYPES] in (1, 1.0, [1.0])
    assert written["_aws"]["CloudWatchMetrics"][0]["Namespace"] == METRICS_NAMESPACE
