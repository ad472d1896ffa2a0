"""Per-stage settings, read from the ``stages`` map in cdk.json (``-c stage=dev|prod``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct

DEFAULT_STAGE = "dev"


@dataclass(frozen=True)
class AlarmThresholds:
    """The stage's alarm settings from cdk.json (each alarm fires at or above its threshold)."""

    dlq_messages_threshold: int
    oldest_message_age_seconds: int
    function_errors_threshold: int
    function_throttles_threshold: int
    failed_notifications_threshold: int
    failed_invocations_threshold: int
    failed_executions_threshold: int


@dataclass(frozen=True)
class StageConfig:
    """What differs between stages: how long things live and how they may be removed."""

    name: str
    removal_policy: RemovalPolicy
    termination_protection: bool
    log_retention: logs.RetentionDays
    queue_retention_days: int
    dead_letter_retention_days: int
    alarms: AlarmThresholds
    #: Names (patterns with ``*``) of the roles that send orders to order-processing: the only principals, with
    #: the operators, whose writes the entry queue accepts.
    order_producers: tuple[str, ...] = ()
    #: Names (patterns) of the operators' roles: they may write to every entry point (a DLQ redrive sends as
    #: the principal that started it; a message republished by hand).
    operators: tuple[str, ...] = ()

    def role_arns(self, names: tuple[str, ...]) -> list[str]:
        """The ARNs of the roles ``names`` in the deploying account (patterns stay patterns)."""
        return [f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/{name}" for name in names]

    @property
    def is_production(self) -> bool:
        return self.name == "prod"


_ROLE_NAME = re.compile(r"[\w+=,.@*-]{1,64}")
_REMOVAL_POLICIES = {"destroy": RemovalPolicy.DESTROY, "retain": RemovalPolicy.RETAIN}
_LOG_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def load_stage_config(scope: Construct) -> StageConfig:
    """The settings of the stage named by the ``stage`` context value."""
    name = scope.node.try_get_context("stage") or DEFAULT_STAGE
    stages: dict[str, dict[str, Any]] = scope.node.try_get_context("stages") or {}
    if name not in stages:
        known = ", ".join(sorted(stages)) or "none"
        raise ValueError(f"unknown stage '{name}': pass -c stage=<one of {known}> or add it to cdk.json")
    raw = stages[name]
    problems = []
    if raw.get("removal_policy") not in _REMOVAL_POLICIES:
        problems.append(f"removal_policy must be one of {sorted(_REMOVAL_POLICIES)}")
    if raw.get("log_retention_days") not in _LOG_RETENTION:
        problems.append(f"log_retention_days must be one of {sorted(_LOG_RETENTION)}")
    for key in ("order_producers", "operators"):
        names = raw.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) and _ROLE_NAME.fullmatch(n) for n in names):
            problems.append(f"{key} must be a list of IAM role names (letters, digits, +=,.@_- and * for any run)")
    if problems:
        raise ValueError(f"stage '{name}' in cdk.json: " + "; ".join(problems))
    return StageConfig(
        name=name,
        removal_policy=_REMOVAL_POLICIES[raw["removal_policy"]],
        termination_protection=bool(raw["termination_protection"]),
        log_retention=_LOG_RETENTION[raw["log_retention_days"]],
        queue_retention_days=int(raw["queue_retention_days"]),
        dead_letter_retention_days=int(raw["dead_letter_retention_days"]),
        alarms=AlarmThresholds(**raw["alarms"]),
        order_producers=tuple(raw.get("order_producers", [])),
        operators=tuple(raw.get("operators", [])),
    )
