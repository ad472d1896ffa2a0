"""FIFO order when received messages come back: SQS hands a message group's messages out in order, and
holds the whole group while any of them is in flight.

moto releases a message that is visible again from its "in flight" set only when its receive loop
reaches it. So when a failed head and a follower of one group have both timed out, the head is
skipped (the follower, not yet reached, still holds the group) and the follower is handed out
first: the group's later message overtakes the earlier one. Found by the generated histories of
``tests/properties`` (an account's charges applied out of send order after a throttled batch).

Here every message that is visible again is released before the group locks are computed, so the
group is held exactly while one of its messages is really in flight, and handed out from its head.

The release is decided at one instant, read once: moto keeps "in flight" as a set, whose order is
that of the messages' addresses in memory, so a clock read per message (a clock that moves with
every reading, as the generated histories' does) made the outcome depend on where the messages
happened to be allocated; that made the generated histories unrepeatable.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.sqs import models as sqs_models
from moto.sqs.models import SQSBackend

from localcloud.settings import LocalCloudSettings

GAP = "moto lets a FIFO group's later message overtake an earlier one when both come back from in flight"


def release_timed_out(backend: SQSBackend, queue_name: str) -> None:
    """Forget "in flight" for every message of a FIFO queue whose visibility timeout has passed."""
    queue = backend.get_queue(queue_name)
    if queue.fifo_queue and queue.pending_messages:
        now_ms = sqs_models.unix_time_millis()  # (looked up on the module: a patched clock applies)
        for message in [m for m in queue.pending_messages if now_ms > m.visible_at]:
            queue.pending_messages.remove(message)


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    original = SQSBackend.receive_message

    def receive_message(self: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        release_timed_out(self, queue_name)
        return original(self, queue_name, *args, **kwargs)

    stack.enter_context(mock.patch.object(SQSBackend, "receive_message", receive_message))
