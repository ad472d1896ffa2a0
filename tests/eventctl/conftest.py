"""eventctl's tests: its CLI with wide tables, moto, and what the tests of every command check the same way."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from typer.testing import CliRunner

from eventctl import cli as eventctl_cli
from eventctl.cli import app
from tests.orders_functions.conftest import (
    aws,  # noqa: F401  (moto, as for the handler tests)
    create_queue_pair,
)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    # Rich tables without folding, for readable assertions: the consoles were made when eventctl was
    # imported (by whichever test came first), so their width is set here, not only the environment's.
    monkeypatch.setenv("COLUMNS", "200")
    for console in (eventctl_cli.out, eventctl_cli.err):
        monkeypatch.setattr(console, "width", 200)
    yield CliRunner()


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


def refuses_and_changes_nothing(cli: CliRunner, args: list[str], expected: str) -> None:
    """``eventctl <args>`` exits 2 with ``expected`` in one line, and no queue, DLQ or replay changed."""
    url, dlq = create_queue_pair(boto3.client("sqs"), "order-processing")
    events = boto3.client("events")
    bus = events.create_event_bus(Name="orders")["EventBusArn"]
    events.create_archive(ArchiveName="all-order-events", EventSourceArn=bus)
    result = cli.invoke(app, args)
    assert result.exit_code == 2
    assert expected in one_line_error(result)
    assert queue_depth(url) == queue_depth(dlq) == 0
    assert events.list_replays()["Replays"] == []
