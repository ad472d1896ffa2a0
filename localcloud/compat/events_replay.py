"""Archive replay over a time window: moto's replay sends every archived event, whatever the
``EventStartTime``/``EventEndTime`` asked for. Here only the events whose time is inside the window
are replayed (AWS: ``EventStartTime <= time < EventEndTime``).
"""

from __future__ import annotations

import copy
from contextlib import ExitStack
from datetime import datetime
from typing import Any
from unittest import mock

from moto.events.models import Archive, Replay

from localcloud.settings import LocalCloudSettings

GAP = "moto's archive replay ignores the replay's time window"


def _seconds(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    text = str(value)
    try:
        return float(text)
    except ValueError:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def in_window(event: dict[str, Any], start: Any, end: Any) -> bool:
    """Whether the event's time is inside the replay window.

    >>> in_window({"time": 15.0}, 10, 20), in_window({"time": 20.0}, 10, 20)
    (True, False)
    """
    return _seconds(start) <= _seconds(event.get("time", 0)) < _seconds(end)


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    original = Replay.replay_events

    def replay_events(self: Replay, archive: Archive) -> None:
        window = copy.copy(archive)
        window.events = [e for e in archive.events if in_window(dict(e), self.event_start_time, self.event_end_time)]
        original(self, window)

    stack.enter_context(mock.patch.object(Replay, "replay_events", replay_events))
