"""One clock: every duration the local cloud honours lasts ``duration x LOCALCLOUD_TIME_SCALE``.

Not a moto gap but a local-cloud setting (default 1 = AWS timing; ``make demo`` and the end-to-end
tests use 0.02, so a 10 s backoff takes 0.2 s and a five-attempt retry reaches its DLQ in seconds,
through the same code paths). The scale is applied uniformly, so a configuration that is valid in
AWS sees its events in the same order here: an analytics queue whose visibility (200 s) exceeds its
mapping's batching window (10 s) keeps doing so at 4 s and 0.2 s, where scaling only the visibility
once let the poller receive a message again inside one batch.

Scaled here, each by :meth:`LocalCloudSettings.scaled`:

- SQS: visibility timeouts (the queue's, ``ReceiveMessage``'s, ``ChangeMessageVisibility``'s),
  ``DelaySeconds`` (the queue's and the message's), message retention, a long poll's ``WaitTimeSeconds``;
- ECS tasks (:mod:`~localcloud.compat.ecs_tasks`): a task runs on the scaled clock
  (:mod:`localcloud.task_worker`), so a worker's heartbeat and drain deadline keep pace with the visibility
  timeouts they are measured against, and its stop timeout is scaled;
- elsewhere, where the duration is honoured: the FIFO deduplication window
  (:mod:`~localcloud.compat.sqs_fifo_deduplication`), batching windows of event source mappings
  (:mod:`~localcloud.compat.sqs_event_source`), retry delays and maximum event age of rule targets
  (:mod:`~localcloud.compat.events_stepfunctions_target`);
- Step Functions: ``Wait`` states and the intervals of ``Retry``.

Not scaled: the time work takes (a function that runs 1 s runs 1 s: at 0.02 that is 50 s of AWS
time, so a function near its timeout locally is one far past it in AWS terms), function timeouts
(cold starts of the local workers would exceed scaled ones), and timestamps, which stay wall-clock
time. The local cloud expires no DynamoDB items (moto has no TTL deletion), so TTLs are not scaled:
expiry is read by the code that reads the item, against the wall clock, as in AWS.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.core.utils import unix_time, unix_time_millis
from moto.sqs.models import Message, SQSBackend
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

from localcloud.settings import LocalCloudSettings

GAP = "a setting, not a gap: every duration the local cloud honours x LOCALCLOUD_TIME_SCALE"


class ScaledSleep:
    """``time`` as the Step Functions retrier sees it: sleeps last ``seconds x scale``."""

    def __init__(self, settings: LocalCloudSettings) -> None:
        self._settings = settings

    def sleep(self, seconds: float) -> None:
        time.sleep(self._settings.scaled(seconds))

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    if settings.time_scale == 1:
        return
    scaled = settings.scaled

    def change_visibility(self: Message, visibility_timeout: int) -> None:
        self.visible_at = unix_time_millis() + int(scaled(int(visibility_timeout) * 1000))

    def delay(self: Message, delay_seconds: int) -> None:
        self.delayed_until = unix_time_millis() + int(scaled(int(delay_seconds) * 1000))

    def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Message) -> bool:
        retention = int(self.get_queue(queue_name).attributes["MessageRetentionPeriod"])
        return bool(scaled(retention) + int(message.sent_timestamp or 0) / 1000 > unix_time())

    original_receive = SQSBackend.receive_message

    def receive_message(
        self: SQSBackend, queue_name: str, count: int, wait_seconds_timeout: int, *args: Any, **kwargs: Any
    ) -> Any:
        # A long poll is a duration too: a worker's 20 s poll ends in 0.4 s at 0.02, so a stop is not held up.
        return original_receive(self, queue_name, count, scaled(wait_seconds_timeout), *args, **kwargs)  # type: ignore[arg-type]

    original_wait = WaitFunction._wait_interval

    def wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
        # moto's wait counts whole seconds and re-enters for the rest: hand it the scaled wait in one go.
        if wait_seconds > 0:
            env.program_state_event.wait(scaled(wait_seconds))
            return
        original_wait(self, env, wait_seconds)

    stack.enter_context(mock.patch.object(SQSBackend, "receive_message", receive_message))
    stack.enter_context(mock.patch.object(Message, "change_visibility", change_visibility))
    stack.enter_context(mock.patch.object(Message, "delay", delay))
    stack.enter_context(
        mock.patch.object(
            SQSBackend, "is_message_valid_based_on_retention_period", is_message_valid_based_on_retention_period
        )
    )
    stack.enter_context(mock.patch.object(WaitFunction, "_wait_interval", wait_interval))
    stack.enter_context(mock.patch.object(retrier_decl, "time", ScaledSleep(settings)))
