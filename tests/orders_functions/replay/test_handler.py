"""replay.handler: the replay function replays the window its event names (moto)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest


def test_the_replay_function_replays_the_window_it_is_given(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from orders_functions.replay import handler
    from tests.orders_functions.sqs_harness import FakeLambdaContext

    client = boto3.client("events")
    bus_arn = client.create_event_bus(Name="orders")["EventBusArn"]
    archive_arn = client.create_archive(ArchiveName="all-order-events", EventSourceArn=bus_arn)["ArchiveArn"]
    monkeypatch.setenv("ARCHIVE_ARN", archive_arn)
    monkeypatch.setenv("BUS_ARN", bus_arn)
    now = datetime.now(UTC)
    window = {"start": (now - timedelta(hours=2)).isoformat(), "end": now.isoformat(), "name": "by-the-function"}
    outcome = handler.lambda_handler(window, FakeLambdaContext())
    assert (outcome["name"], outcome["state"], outcome["fraction_done"]) == ("by-the-function", "COMPLETED", 1.0)
