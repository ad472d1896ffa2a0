"""FIFO deduplication as SQS does it: moto forgets a deduplication id once its message is deleted
(so a duplicate sent a minute later is delivered again) and ignores ``DeduplicationScope=messageGroup``
(so the same id in two groups is wrongly dropped).

Here each FIFO queue remembers every deduplication id for the 5-minute interval, per message group
when the queue's scope is ``messageGroup``, whatever happened to the message since.
"""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.sqs.models import Message, Queue

from localcloud.settings import LocalCloudSettings

GAP = "moto's FIFO deduplication forgets deleted messages and ignores DeduplicationScope=messageGroup"
DEDUPLICATION_INTERVAL_SECONDS = 300

_lock = threading.Lock()


def _seen(queue: Queue) -> dict[tuple[str, str], float]:
    if not hasattr(queue, "_localcloud_deduplication"):
        queue._localcloud_deduplication = {}  # type: ignore[attr-defined]
    return queue._localcloud_deduplication  # type: ignore[attr-defined]


def is_duplicate(
    queue: Queue, message: Message, now: float | None = None, interval: float = DEDUPLICATION_INTERVAL_SECONDS
) -> bool:
    """Record ``message``'s deduplication id; True when the id was seen within ``interval`` seconds."""
    now = time.time() if now is None else now
    per_group = queue.attributes.get("DeduplicationScope") == "messageGroup"
    key = (message.group_id or "" if per_group else "", message.deduplication_id or "")
    with _lock:
        seen = _seen(queue)
        for expired in [k for k, at in seen.items() if now - at >= interval]:
            del seen[expired]
        if key in seen:
            return True
        seen[key] = now
        return False


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    original = Queue.add_message

    def add_message(self: Queue, message: Message) -> None:
        if not self.fifo_queue or not message.deduplication_id:
            original(self, message)
            return
        if is_duplicate(self, message, interval=settings.scaled(DEDUPLICATION_INTERVAL_SECONDS)):
            return
        deduplication_id = message.deduplication_id
        message.deduplication_id = None  # moto's own (narrower) check is replaced by the one above
        try:
            original(self, message)
        finally:
            message.deduplication_id = deduplication_id

    stack.enter_context(mock.patch.object(Queue, "add_message", add_message))


__all__: list[Any] = ["GAP", "install", "is_duplicate"]
