"""eventctl against moto: every command, and bad input as one line on stderr with a non-zero exit."""

from __future__ import annotations

import html
import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from typer.testing import CliRunner

from eventctl.cli import app
from tests.cdk_app import SynthesizedApp
from tests.orders_functions.conftest import create_queue_pair

LOCAL = {"aws_access_key_id": "any", "aws_secret_access_key": "any"}


def queue_depth(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def dead_letter(dlq_url: str, reason: str, count: int = 1) -> None:
    for i in range(count):
        boto3.client("sqs").send_message(
            QueueUrl=dlq_url,
            MessageBody=json.dumps({"order_id": f"o-{i}"}),
            MessageAttributes={
                "failure_reason": {"DataType": "String", "StringValue": reason},
                "failure_kind": {"DataType": "String", "StringValue": "poison"},
                "receive_count": {"DataType": "Number", "StringValue": "1"},
            },
        )


def one_line_error(result: object) -> str:
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, lines
    assert lines[0].startswith("eventctl: ")
    return lines[0]


def test_publish_sends_the_asked_mix(aws: None, cli: CliRunner) -> None:
    url, _ = create_queue_pair(boto3.client("sqs"), "order-processing")
    result = cli.invoke(app, ["publish", "--count", "25", "--seed", "7", "--mix", "order.created=1"])
    assert result.exit_code == 0, result.stderr
    assert "sent" in result.stdout and "25" in result.stdout
    assert queue_depth(url) == 25
    message = boto3.client("sqs").receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    assert json.loads(message["Body"])["event_type"] == "order.created"
    assert message["MessageAttributes"]["correlation_id"]["StringValue"].startswith("eventctl-")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["publish", "--queue", "nope"], "no queue named 'nope'"),
        (["publish", "--mix", "order.exploded=1"], "unknown 'order.exploded'"),
        (["publish", "--tiers", "gold=x"], "unknown 'gold'"),
        (["dlq", "show", "order-processing"], "is not a dead-letter queue"),
        (["dlq", "show", "missing-dlq"], "no queue named 'missing-dlq'"),
        (["dlq", "redrive", "missing-dlq", "--yes"], "no queue named 'missing-dlq'"),
        (["replay", "--from", "yesterday", "--to", "2026-11-29T10:00:00+00:00"], "is not a time"),
        (["replay", "--from", "2026-11-29T10:00:00", "--to", "2026-11-29T11:00:00+00:00"], "has no time zone"),
        (
            ["replay", "--from", "2026-11-29T11:00:00+00:00", "--to", "2026-11-29T10:00:00+00:00"],
            "before it starts",
        ),
    ],
)
def test_bad_input_is_one_clear_line_and_changes_nothing(
    aws: None, cli: CliRunner, args: list[str], expected: str
) -> None:
    url, dlq = create_queue_pair(boto3.client("sqs"), "order-processing")
    events = boto3.client("events")
    bus = events.create_event_bus(Name="orders")["EventBusArn"]
    events.create_archive(ArchiveName="all-order-events", EventSourceArn=bus)
    result = cli.invoke(app, args)
    assert result.exit_code == 2
    assert expected in one_line_error(result)
    assert queue_depth(url) == queue_depth(dlq) == 0
    assert events.list_replays()["Replays"] == []


def test_dlq_list_shows_depth_and_source(aws: None, cli: CliRunner) -> None:
    sqs = boto3.client("sqs")
    _, dlq = create_queue_pair(sqs, "order-processing")
    create_queue_pair(sqs, "balance-updates", fifo=True)
    dead_letter(dlq, "poison message: bad JSON", count=3)
    result = cli.invoke(app, ["dlq", "list"])
    assert result.exit_code == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "order-processing-dlq" in line)
    assert "3" in row and "order-processing" in row.split("order-processing-dlq", 1)[1]
    assert "balance-updates-dlq.fifo" in result.stdout


def test_dlq_show_peeks_without_consuming(aws: None, cli: CliRunner) -> None:
    _, dlq = create_queue_pair(boto3.client("sqs"), "order-processing")
    dead_letter(dlq, "poison message: total must be >= 0", count=2)
    result = cli.invoke(app, ["dlq", "show", "order-processing-dlq"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("poison message: total must be >= 0") == 2
    assert queue_depth(dlq) == 2


def test_dlq_redrive_dry_run_moves_nothing_and_redrive_moves_everything(aws: None, cli: CliRunner) -> None:
    url, dlq = create_queue_pair(boto3.client("sqs"), "order-processing")
    dead_letter(dlq, "gave up after 5 attempts", count=4)
    dry = cli.invoke(app, ["dlq", "redrive", "order-processing-dlq", "--dry-run"])
    assert dry.exit_code == 0 and "would move 4 message(s) from order-processing-dlq to order-processing" in dry.stdout
    assert (queue_depth(dlq), queue_depth(url)) == (4, 0)

    refused = cli.invoke(app, ["dlq", "redrive", "order-processing-dlq"], input="n\n")
    assert refused.exit_code == 1
    assert (queue_depth(dlq), queue_depth(url)) == (4, 0)

    done = cli.invoke(app, ["dlq", "redrive", "order-processing-dlq", "--yes"])
    assert done.exit_code == 0, done.stderr
    assert "to order-processing" in done.stdout
    assert (queue_depth(dlq), queue_depth(url)) == (0, 4)


def test_replay_follows_the_replay_to_the_end(aws: None, cli: CliRunner) -> None:
    events = boto3.client("events")
    bus = events.create_event_bus(Name="orders")["EventBusArn"]
    events.create_archive(ArchiveName="all-order-events", EventSourceArn=bus)
    now = datetime.now(UTC)
    result = cli.invoke(
        app, ["replay", "--from", (now - timedelta(hours=1)).isoformat(), "--to", now.isoformat(), "--name", "w1"]
    )
    assert result.exit_code == 0, result.stderr
    assert "replay w1: COMPLETED" in result.stdout
    assert events.describe_replay(ReplayName="w1")["State"] == "COMPLETED"


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


def test_diagram_draws_svg_and_png(
    dev_app: SynthesizedApp, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no system Graphviz, no venv on PATH: what a bare machine has
    result = cli.invoke(app, ["diagram", "--cdk-out", str(dev_app.assembly_dir), "--output", str(tmp_path / "arch")])
    assert result.exit_code == 0, result.stderr
    svg = html.unescape((tmp_path / "arch.svg").read_text())
    for name in ("order-events", "payment-processing", "high-value-order-flow", "all-order-events", "balance_updater"):
        assert name in svg
    assert (tmp_path / "arch.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_credentials_is_one_clear_line(cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # As in a fresh process: no default boto3 session whose credentials an earlier test resolved.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    result = cli.invoke(app, ["dlq", "list"])
    assert result.exit_code == 2
    assert "no AWS credentials" in one_line_error(result)


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine with no AWS credentials and no region configured (CI, a laptop with no account)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


def test_a_local_cloud_needs_no_credentials(
    cli: CliRunner, no_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        local = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", **LOCAL)
        create_queue_pair(local, "order-processing")
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        result = cli.invoke(app, ["dlq", "list"])
    finally:
        server.stop()
    assert result.exit_code == 0, result.stderr
    assert "order-processing-dlq" in result.stdout


def test_an_endpoint_that_does_not_answer_is_one_clear_line(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    result = cli.invoke(app, ["dlq", "list"])
    assert result.exit_code == 2
    assert "cannot reach http://127.0.0.1:9" in one_line_error(result)


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
    from typer.testing import CliRunner

    from eventctl.cli import app

    (tmp_path / "S.template.json").write_text(json.dumps({"Resources": {}}))
    event = '{"a":' * 100000 + "1" + "}" * 100000
    result = CliRunner().invoke(app, ["routes", "--cdk-out", str(tmp_path), "--event", event])
    assert result.exit_code == 2, repr(result.exception)
