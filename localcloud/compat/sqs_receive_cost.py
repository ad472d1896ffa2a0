"""Receiving without recounting the queue: for every message it hands out, moto checks the retention
period by computing *all* of the queue's attributes, which counts every message in the queue. A
receive from a queue holding n messages costs O(n) per message, and a pipeline under load spends
most of its time there. Here the retention check reads the one attribute it needs.
"""

from __future__ import annotations

from contextlib import ExitStack
from unittest import mock

from moto.core.utils import unix_time
from moto.sqs.models import Message, SQSBackend

from localcloud.settings import LocalCloudSettings

GAP = "moto recomputes every queue attribute (counting all messages) for each message it receives"


def _is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Message) -> bool:
    retention_seconds = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
    return bool(retention_seconds + message.sent_timestamp / 1000 > unix_time())  # type: ignore[operator]


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    stack.enter_context(
        mock.patch.object(
            SQSBackend, "is_message_valid_based_on_retention_period", _is_message_valid_based_on_retention_period
        )
    )
