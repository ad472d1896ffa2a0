"""Start a replay of an archive window and follow it until it completes.

Example (against moto):
    >>> import boto3, json
    >>> from datetime import datetime, timedelta, UTC
    >>> from moto import mock_aws
    >>> with mock_aws():
    ...     client = boto3.client("events", region_name="us-east-1")
    ...     bus = client.create_event_bus(Name="orders")["EventBusArn"]
    ...     archive = client.create_archive(ArchiveName="all", EventSourceArn=bus)["ArchiveArn"]
    ...     now = datetime.now(UTC)
    ...     report = ArchiveReplayer(client, sleep=lambda s: None).replay(
    ...         archive, bus, now - timedelta(hours=1), now, name="window-1")
    ...     report.state
    'COMPLETED'
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CANCELLED"})


@dataclass
class ReplayProgress:
    name: str
    state: str
    start: datetime
    end: datetime
    last_replayed: datetime | None = None
    reason: str | None = None
    history: list[tuple[str, float]] = field(default_factory=list)

    @property
    def fraction_done(self) -> float:
        """How much of the window has been replayed, 0.0 to 1.0."""
        if self.state == "COMPLETED":
            return 1.0
        if self.last_replayed is None:
            return 0.0
        span = (self.end - self.start).total_seconds() or 1.0
        return max(0.0, min(1.0, (self.last_replayed - self.start).total_seconds() / span))


class ReplayWindowError(ValueError):
    pass


class ArchiveReplayer:
    def __init__(
        self,
        events_client: Any,
        *,
        poll_seconds: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        on_progress: Callable[[ReplayProgress], None] = lambda progress: None,
    ) -> None:
        self._events = events_client
        self._poll_seconds = poll_seconds
        self._sleep = sleep
        self._on_progress = on_progress

    def replay(
        self,
        archive_arn: str,
        bus_arn: str,
        start: datetime,
        end: datetime,
        *,
        name: str | None = None,
        deadline_seconds: float = 840.0,
    ) -> ReplayProgress:
        """Replay events of ``archive_arn`` from ``start`` to ``end`` onto ``bus_arn``; wait for the end."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ReplayWindowError("give the window with a time zone, e.g. 2026-11-29T10:00:00+00:00")
        if end <= start:
            raise ReplayWindowError(f"the window ends ({end.isoformat()}) before it starts ({start.isoformat()})")
        name = name or f"replay-{start:%Y%m%dT%H%M%S}-{end:%Y%m%dT%H%M%S}"
        self._events.start_replay(
            ReplayName=name,
            EventSourceArn=archive_arn,
            EventStartTime=start,
            EventEndTime=end,
            Destination={"Arn": bus_arn},
        )
        progress = ReplayProgress(name=name, state="STARTING", start=start, end=end)
        started = time.monotonic()
        while True:
            described = self._events.describe_replay(ReplayName=name)
            progress.state = described["State"]
            progress.last_replayed = described.get("EventLastReplayedTime")
            progress.reason = described.get("StateReason")
            progress.history.append((progress.state, progress.fraction_done))
            self._on_progress(progress)
            if progress.state in FINAL_STATES:
                return progress
            if time.monotonic() - started > deadline_seconds:
                progress.reason = f"still {progress.state} after {deadline_seconds:g} s; follow it with describe-replay"
                return progress
            self._sleep(self._poll_seconds)
