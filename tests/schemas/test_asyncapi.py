"""docs/asyncapi.yaml: drawn from the synthesized app, valid AsyncAPI 3.0, and current."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml

from event_constructs import __version__
from schemas.asyncapi import DOCUMENT, document, render
from tests.cdk_app import REPO_ROOT, SynthesizedApp

#: The official AsyncAPI 3.0 JSON Schema, from the @asyncapi/specs package pinned in package.json.
ASYNCAPI_SCHEMA = REPO_ROOT / "node_modules" / "@asyncapi" / "specs" / "schemas" / "3.0.0-without-$id.json"


@pytest.fixture(scope="module")
def drawn(dev_app: SynthesizedApp) -> dict[str, Any]:
    return document(dev_app.templates, __version__)


def test_the_document_is_valid_asyncapi_3(drawn: dict[str, Any]) -> None:
    validator = jsonschema.Draft7Validator(json.loads(ASYNCAPI_SCHEMA.read_text()))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(drawn)]
    assert errors == []


def test_the_committed_document_is_current(dev_app: SynthesizedApp) -> None:
    assert DOCUMENT.read_text() == render(dev_app.templates, __version__), "run: make asyncapi"


def test_the_choreography_is_all_there(drawn: dict[str, Any]) -> None:
    addresses = {channel["address"] for channel in drawn["channels"].values()}
    assert addresses == {
        "order-processing",
        "order-events",
        "payment-processing",
        "notification-service",
        "analytics-ingestion",
        "balance-updates.fifo",
        "orders",
        "high-value-order-flow",
    }
    subscribers = drawn["operations"]["publishOrderEvent"]["bindings"]["sns"]["consumers"]
    by_queue = {s["endpoint"]["name"]: s for s in subscribers}
    assert by_queue["payment-processing"]["x-filterPolicy"]["event_type"] == ["order.created", "order.cancelled"]
    assert (
        "filterPolicy" not in by_queue["analytics-ingestion"]
        and "x-filterPolicy" not in by_queue["analytics-ingestion"]
    )
    fifo = drawn["channels"]["balanceUpdatesFifo"]["bindings"]["sqs"]["queue"]
    assert (fifo["fifoQueue"], fifo["deduplicationScope"], fifo["fifoThroughputLimit"]) == (
        True,
        "messageGroup",
        "perMessageGroupId",
    )
    (rule,) = drawn["channels"]["ordersBus"]["x-eventbridge"]["rules"]
    assert rule["name"] == "high-value-order-routing"
    receivers = {op["summary"].split(" ")[0] for op in drawn["operations"].values() if op["action"] == "receive"}
    assert {
        "orders_functions.order_processor.handler.lambda_handler",
        "orders_functions.payment.handler.lambda_handler",
    } <= receivers


def test_every_reference_resolves(drawn: dict[str, Any]) -> None:
    text = yaml.safe_dump(drawn)
    for reference in {line.split("'")[1] for line in text.splitlines() if "$ref: '#/" in line}:
        target: Any = drawn
        for part in reference.removeprefix("#/").split("/"):
            target = target[part]
