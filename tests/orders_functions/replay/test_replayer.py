"""replay.replayer: an archive window replayed and followed to the end (moto), a malformed window refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from orders_functions.replay.replayer import ArchiveReplayer, ReplayWindowError


def test_a_replay_window_is_replayed_and_followed_to_the_end(aws: None) -> None:
    client = boto3.client("events")
    bus_arn = client.create_event_bus(Name="orders")["EventBusArn"]
    archive_arn = client.create_archive(ArchiveName="all-order-events", EventSourceArn=bus_arn)["ArchiveArn"]
    seen: list[str] = []
    now = datetime.now(UTC)
    report = ArchiveReplayer(client, sleep=lambda _: None, on_progress=lambda p: seen.append(p.state)).replay(
        archive_arn, bus_arn, now - timedelta(hours=1), now, name="last-hour"
    )
    assert report.state == "COMPLETED"
    assert report.fraction_done == 1.0
    assert seen[-1] == "COMPLETED"
    assert client.describe_replay(ReplayName="last-hour")["EventSourceArn"] == archive_arn


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        (datetime(2026, 11, 29, 12, tzinfo=UTC), datetime(2026, 11, 29, 11, tzinfo=UTC), "ends"),
        (datetime(2026, 11, 29, 11), datetime(2026, 11, 29, 12), "time zone"),
    ],
)
def test_a_malformed_window_is_refused_before_anything_starts(start: datetime, end: datetime, problem: str) -> None:
    class NoCalls:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"{name} must not be called")

    with pytest.raises(ReplayWindowError, match=problem):
        ArchiveReplayer(NoCalls()).replay("arn:archive", "arn:bus", start, end)
