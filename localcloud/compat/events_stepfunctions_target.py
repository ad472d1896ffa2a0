"""EventBridge rule targets that are Step Functions state machines: moto raises NotImplementedError
for them. Delivered here as AWS does: asynchronously, with the target's InputTransformer (on replays
too), retried with backoff up to the target's RetryPolicy, and on final failure sent to the
target's dead-letter queue with the ``RULE_ARN``, ``TARGET_ARN``, ``ERROR_CODE`` and
``ERROR_MESSAGE`` attributes EventBridge sets.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.events.models import Rule
from moto.utilities.arns import parse_arn

from localcloud.compat.events_input_transformer import render
from localcloud.settings import LocalCloudSettings

GAP = "moto's EventBridge does not deliver rule targets to Step Functions"

logger = logging.getLogger("localcloud.events")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _executor  # noqa: PLW0603 - one delivery pool per process, made on first use
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="eventbridge-delivery")
        return _executor


def _target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    if "InputTransformer" in target:
        return render(target["InputTransformer"], event)
    if "Input" in target:
        return json.loads(target["Input"])
    return event


def _start_execution(state_machine_arn: str, execution_input: Any) -> str:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    arn = parse_arn(state_machine_arn)
    backend = stepfunctions_parser_backends[arn.account][arn.region]
    body = execution_input if isinstance(execution_input, str) else json.dumps(execution_input)
    # EventBridge names each execution with a fresh id (moto would name them all "None").
    return str(backend.start_execution(state_machine_arn, name=str(uuid.uuid4()), execution_input=body).execution_arn)


def _dead_letter(rule: Rule, target: dict[str, Any], event: dict[str, Any], error: Exception, attempts: int) -> None:
    from moto.sqs.models import sqs_backends

    queue_arn = target.get("DeadLetterConfig", {}).get("Arn")
    if not queue_arn:
        logger.error("event %s to %s dropped after %d attempts: %s", event.get("id"), target["Arn"], attempts, error)
        return
    arn = parse_arn(queue_arn)
    attributes = {
        "RULE_ARN": rule.arn,
        "TARGET_ARN": target["Arn"],
        "ERROR_CODE": type(error).__name__,
        "ERROR_MESSAGE": str(error)[:1000],
        "RETRY_ATTEMPTS": str(attempts - 1),
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
    }
    sqs_backends[arn.account][arn.region].send_message(
        queue_name=arn.resource_id,
        message_body=json.dumps(event),
        message_attributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
    )


def deliver(
    rule: Rule, target: dict[str, Any], event: dict[str, Any], settings: LocalCloudSettings | None = None
) -> None:
    """Start an execution for ``event``; retry, then dead-letter. Runs on the delivery pool."""
    policy = target.get("RetryPolicy", {})
    max_attempts = 1 + int(policy.get("MaximumRetryAttempts", 185))
    max_age = float(policy.get("MaximumEventAgeInSeconds", 86400))
    scaled = (settings or LocalCloudSettings()).scaled
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        try:
            execution_input = _target_input(target, event)
            execution_arn = _start_execution(target["Arn"], execution_input)
            logger.info("event %s started %s", event.get("id"), execution_arn)
            return
        except Exception as error:
            too_old = time.monotonic() - started >= scaled(max_age)
            if attempt >= max_attempts or too_old or isinstance(error, (KeyError, ValueError)):
                _dead_letter(rule, target, event, error, attempt)
                return
            time.sleep(scaled(min(2 ** (attempt - 1), 60)))


def _is_state_machine(target: dict[str, Any]) -> bool:
    return parse_arn(target["Arn"]).service == "states"


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    original = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        state_machines = [t for t in self.targets if _is_state_machine(t)]
        others = [t for t in self.targets if not _is_state_machine(t)]
        if others:
            rule = copy.copy(self)
            rule.targets = others
            original(rule, original_event, transform_input)
        if not state_machines or not self.event_pattern.matches_event(original_event):
            return
        for target in state_machines:
            _pool().submit(deliver, self, target, dict(original_event), settings)

    stack.enter_context(mock.patch.object(Rule, "send_to_targets", send_to_targets))
