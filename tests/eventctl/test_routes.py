"""eventctl routes (eventctl.routes): where an event goes in the synthesized app, and why not; a verdict or one
line, never a traceback, whatever the event or template holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from eventctl.cli import app
from tests.cdk_app import SynthesizedApp
from tests.eventctl.conftest import one_line_error


def test_routes_from_the_synthesized_templates(dev_app: SynthesizedApp, cli: CliRunner) -> None:
    result = cli.invoke(app, ["routes", "--cdk-out", str(dev_app.assembly_dir)])
    assert result.exit_code == 0, result.stderr
    for target in ("payment-processing", "notification-service", "analytics-ingestion", "high-value-order-routing"):
        assert target in result.stdout
    event = {
        "event_type": "order.created",
        "order_id": "o-1",
        "customer_id": "c-1",
        "customer_tier": "premium",
        "amount": 2500,
    }
    assert verdicts(cli, dev_app, event) == {
        "analytics-ingestion": "",
        "notification-service": "",
        "payment-processing": "",
        "high-value-order-routing": "",
    }
    internal = {**event, "event_type": "order.updated", "update_id": "u-1", "internal": True, "amount": None}
    why = verdicts(cli, dev_app, internal)
    assert why["analytics-ingestion"] == ""
    assert why["notification-service"] == 'attribute internal does not match [{"exists": false}]'
    assert why["high-value-order-routing"] == "only order.created goes on the bus"


def verdicts(cli: CliRunner, dev_app: SynthesizedApp, event: dict) -> dict[str, str]:
    """target -> "" when delivered, else why not."""
    result = cli.invoke(app, ["routes", "--cdk-out", str(dev_app.assembly_dir), "--event", json.dumps(event), "--json"])
    assert result.exit_code == 0, result.stderr
    decoder, text, found, index = json.JSONDecoder(), result.stdout, {}, 0
    while index < len(text.rstrip()):
        item, index = decoder.raw_decode(text, index)
        found[item["target"]] = "" if item["delivered"] else item["why_not"]
        while index < len(text) and text[index].isspace():
            index += 1
    return found


def test_routes_refuses_bad_input(cli: CliRunner, tmp_path: Path, dev_app: SynthesizedApp) -> None:
    empty = cli.invoke(app, ["routes", "--cdk-out", str(tmp_path)])
    assert empty.exit_code == 2 and "no templates in" in one_line_error(empty)
    bad = cli.invoke(app, ["routes", "--cdk-out", str(dev_app.assembly_dir), "--event", "{not json"])
    assert bad.exit_code == 2 and "--event is not JSON" in one_line_error(bad)


#: Events a producer might send, well-formed or not: eventctl routes gives a verdict for each, or one line.
ODD_EVENTS: list[Any] = [
    {},
    {"event_type": "order.created"},
    {"event_type": "order.updated"},
    {"event_type": "order.cancelled", "order_id": ""},
    {"event_type": "order.shipped", "amount": "12"},
    {"event_type": 7, "order_id": ["o-1"], "amount": True},
    {"event_type": None, "internal": {"x": 1}},
    {"event_type": "order.created", "order_id": "o-1", "customer_id": "c-1", "amount": 1e12},
    {"event_type": "order.created", "order_id": "o-1", "customer_id": "c-1", "amount": -1, "internal": "yes"},
    {"event_type": "order.created", "order_id": "o 1", "customer_id": "c-1", "amount": 2500.005},
    {"event_type": "order.updated", "order_id": "o-1", "update_id": {"a": 1}, "internal": 0},
    {"event_type": "order.updated", "order_id": "o-1", "update_id": "", "amount": None},
    {"event_type": "ORDER.CREATED", "amount": [1, 2], "correlation_id": 5},
    {"event_type": "order.created", "customer_tier": "gold", "currency": "euro", "amount": "NaN"},
]


@pytest.mark.parametrize("event", ODD_EVENTS, ids=[json.dumps(e)[:40] for e in ODD_EVENTS])
def test_routes_gives_a_verdict_or_one_line_for_any_event(cli: CliRunner, dev_app: SynthesizedApp, event: Any) -> None:
    """Issue 16: a verdict or one clear line (exit 2), never a traceback, whatever the event holds."""
    result = cli.invoke(app, ["routes", "--cdk-out", str(dev_app.assembly_dir), "--event", json.dumps(event), "--json"])
    assert result.exit_code in (0, 2), result.exception
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_routes_refuses_a_template_whose_pattern_aws_would_refuse(
    cli: CliRunner, dev_app: SynthesizedApp, tmp_path: Path
) -> None:
    for template in dev_app.assembly_dir.glob("*.template.json"):
        content = json.loads(template.read_text())
        for resource in content["Resources"].values():
            if resource["Type"] == "AWS::Events::Rule" and "EventPattern" in resource["Properties"]:
                resource["Properties"]["EventPattern"] = {"detail": {"total": [{"numeric": [">", "1000"]}]}}
        (tmp_path / template.name).write_text(json.dumps(content))
    result = cli.invoke(app, ["routes", "--cdk-out", str(tmp_path)])
    assert result.exit_code == 2
    assert "is one EventBridge would refuse: " in one_line_error(result)


def test_eventctl_routes_deep_event_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """Found by trying to break "a verdict or one line" (issue 16's review round): a RecursionError escaped."""
    (tmp_path / "S.template.json").write_text(json.dumps({"Resources": {}}))
    event = '{"a":' * 100000 + "1" + "}" * 100000
    result = CliRunner().invoke(app, ["routes", "--cdk-out", str(tmp_path), "--event", event])
    assert result.exit_code == 2, repr(result.exception)
