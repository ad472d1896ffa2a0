"""Per-stage settings, read from the ``stages`` map in cdk.json (``-c stage=dev|prod``)."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct

from event_constructs import AlarmThresholds

DEFAULT_STAGE = "dev"
#: The keys of ``alarms`` in cdk.json: the fields of the library's AlarmThresholds, each a whole number >= 1.
ALARM_KEYS = tuple(field.name for field in fields(AlarmThresholds))
#: SQS's limits for a redrive policy's maxReceiveCount.
MAX_RECEIVE_COUNT_RANGE = (1, 1000)


@dataclass(frozen=True)
class StageConfig:
    """What differs between stages: how long things live and how they may be removed."""

    name: str
    removal_policy: RemovalPolicy
    termination_protection: bool
    log_retention: logs.RetentionDays
    queue_retention_days: int
    dead_letter_retention_days: int
    #: cdk.json's ``alarms``, whose keys are the fields of the library's AlarmThresholds.
    alarms: AlarmThresholds
    #: Each queue's redrive limit (maxReceiveCount: receives before SQS moves a message to the DLQ), by queue
    #: name (``.fifo`` included); every queue of the app has one.
    max_receive_count: Mapping[str, int]
    #: Names (patterns with ``*``) of the roles that send orders to order-processing: the only principals, with
    #: the operators, whose writes the entry queue accepts.
    order_producers: tuple[str, ...] = ()
    #: Names (patterns) of the operators' roles: they may write to every entry point (a DLQ redrive sends as
    #: the principal that started it; a message republished by hand).
    operators: tuple[str, ...] = ()
    #: The workers' container image, ``<ECR repository in the deploying account>:<tag>`` (built by
    #: ``make worker-image`` from this checkout's wheels; see Dockerfile.worker).
    worker_image: str = "orders-workers:0.2.0"

    @property
    def worker_image_repository(self) -> str:
        return self.worker_image.rsplit(":", 1)[0]

    @property
    def worker_image_tag(self) -> str:
        return self.worker_image.rsplit(":", 1)[1]

    def role_arns(self, names: tuple[str, ...]) -> list[str]:
        """The ARNs of the roles ``names`` in the deploying account (patterns stay patterns)."""
        return [f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/{name}" for name in names]

    @property
    def is_production(self) -> bool:
        return self.name == "prod"


_ROLE_NAME = re.compile(r"[\w+=,.@*-]{1,64}")
#: An ECR repository name and an image tag (ECR's rules), ``repository:tag``.
_WORKER_IMAGE = re.compile(
    r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
)
_REMOVAL_POLICIES = {"destroy": RemovalPolicy.DESTROY, "retain": RemovalPolicy.RETAIN}
_LOG_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def load_stage_config(scope: Construct, *, queue_names: Sequence[str]) -> StageConfig:
    """The settings of the stage named by the ``stage`` context value, for an app whose queues are ``queue_names``.

    Raises ValueError naming every problem with the stage's settings at once.
    """
    name = scope.node.try_get_context("stage") or DEFAULT_STAGE
    stages: dict[str, dict[str, Any]] = scope.node.try_get_context("stages") or {}
    if name not in stages:
        known = ", ".join(sorted(stages)) or "none"
        raise ValueError(f"unknown stage '{name}': pass -c stage=<one of {known}> or add it to cdk.json")
    raw = stages[name]
    problems: list[str] = []
    if raw.get("removal_policy") not in _REMOVAL_POLICIES:
        problems.append(f"removal_policy must be one of {sorted(_REMOVAL_POLICIES)}")
    if raw.get("log_retention_days") not in _LOG_RETENTION:
        problems.append(f"log_retention_days must be one of {sorted(_LOG_RETENTION)}")
    for key in ("order_producers", "operators"):
        names = raw.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) and _ROLE_NAME.fullmatch(n) for n in names):
            problems.append(f"{key} must be a list of IAM role names (letters, digits, +=,.@_- and * for any run)")
    if not (isinstance(raw.get("worker_image"), str) and _WORKER_IMAGE.fullmatch(raw["worker_image"])):
        problems.append(
            f"worker_image is {json.dumps(raw.get('worker_image'))}; use '<ECR repository>:<tag>' "
            "(an image in the deploying account's ECR, e.g. orders-workers:0.2.0)"
        )
    problems += _whole_numbers_problems(raw, "alarms", ALARM_KEYS, lowest=1)
    lowest, highest = MAX_RECEIVE_COUNT_RANGE
    problems += _whole_numbers_problems(
        raw, "max_receive_count", queue_names, lowest=lowest, highest=highest, limits="SQS's limits"
    )
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise ValueError(f"stage '{name}' in cdk.json (context.stages.{name}) has {len(problems)} {noun}:\n{lines}")
    return StageConfig(
        name=name,
        removal_policy=_REMOVAL_POLICIES[raw["removal_policy"]],
        termination_protection=bool(raw["termination_protection"]),
        log_retention=_LOG_RETENTION[raw["log_retention_days"]],
        queue_retention_days=int(raw["queue_retention_days"]),
        dead_letter_retention_days=int(raw["dead_letter_retention_days"]),
        alarms=AlarmThresholds(**raw["alarms"]),
        max_receive_count=MappingProxyType(dict(raw["max_receive_count"])),
        order_producers=tuple(raw.get("order_producers", [])),
        operators=tuple(raw.get("operators", [])),
        worker_image=raw["worker_image"],
    )


def _whole_numbers_problems(
    raw: dict[str, Any],
    section: str,
    accepted: Sequence[str],
    *,
    lowest: int,
    highest: int | None = None,
    limits: str | None = None,
) -> list[str]:
    """What is wrong with ``raw[section]``, a map that must have exactly the keys ``accepted``, each a whole
    number from ``lowest`` to ``highest`` (or more, with no ``highest``; ``limits`` says whose they are); each
    problem names the key, and a problem with the keys names the accepted ones."""
    accepted_keys = f"{section} takes exactly these keys: {', '.join(accepted)}"
    value = raw.get(section)
    if not isinstance(value, dict):
        found = f"is {json.dumps(value)}" if section in raw else "is missing"
        return [f"{section} {found}; it must be a map. {accepted_keys}"]
    problems = []
    unknown = [key for key in value if key not in accepted]
    if unknown:
        guesses = [_with_guess(key, accepted) for key in unknown]
        problems.append(f"{section} has unknown {_keys(unknown)} {', '.join(guesses)}; {accepted_keys}")
    missing = [key for key in accepted if key not in value]
    if missing:
        problems.append(f"{section} lacks the {_keys(missing)} {', '.join(missing)}; {accepted_keys}")
    allowed = f"from {lowest} to {highest}" if highest is not None else f"of {lowest} or more"
    if limits is not None:
        allowed += f" ({limits})"
    for key in accepted:
        number = value.get(key)
        if key in value and not (
            isinstance(number, int)
            and not isinstance(number, bool)
            and lowest <= number
            and (highest is None or number <= highest)
        ):
            problems.append(f"{section}.{key} is {json.dumps(number)}; use a whole number {allowed}")
    return problems


def _keys(found: Sequence[str]) -> str:
    return "key" if len(found) == 1 else "keys"


def _with_guess(key: str, accepted: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, accepted, n=1)
    return f"{key} (did you mean {close[0]}?)" if close else key
