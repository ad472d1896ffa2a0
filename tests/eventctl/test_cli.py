"""eventctl.cli: the replay command (its window read and checked here) against moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from typer.testing import CliRunner

from eventctl.cli import app
from tests.eventctl.conftest import refuses_and_changes_nothing


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


@pytest.mark.parametrize(
    ("args", "expected"),
    [
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
    refuses_and_changes_nothing(cli, args, expected)
