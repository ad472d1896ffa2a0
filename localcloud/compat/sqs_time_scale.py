"""Compressed SQS time, so retries that take minutes on AWS take seconds locally.

Not a moto gap but a local-cloud setting (``LOCALCLOUD_TIME_SCALE``, default 1 = AWS timing):
every visibility timeout (the queue's default, ``ReceiveMessage``'s and ``ChangeMessageVisibility``'s)
lasts ``timeout x time_scale``. Handlers back off 10 s, 20 s, 40 s ...; with a scale of 0.01 a
record that fails five times reaches its DLQ in a few seconds, through the same code paths.
"""

from __future__ import annotations

from contextlib import ExitStack
from unittest import mock

from moto.core.utils import unix_time_millis
from moto.sqs.models import Message

from localcloud.settings import LocalCloudSettings

GAP = "a setting, not a gap: SQS visibility timeouts scaled by LOCALCLOUD_TIME_SCALE"


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    if settings.time_scale == 1:
        return
    scale = settings.time_scale

    def change_visibility(self: Message, visibility_timeout: int) -> None:
        self.visible_at = unix_time_millis() + int(int(visibility_timeout) * 1000 * scale)

    stack.enter_context(mock.patch.object(Message, "change_visibility", change_visibility))
