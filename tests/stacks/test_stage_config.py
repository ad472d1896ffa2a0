"""cdk.json's per-stage settings: read into the library's types as they are, or refused at synth with every
problem at once, each naming the stage, the key and what is accepted."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import aws_cdk as cdk
import pytest

from event_constructs import AlarmThresholds
from stacks.config import ALARM_KEYS, StageConfig, load_stage_config
from tests.cdk_app import cdk_context

ACCEPTED_ALARM_KEYS = (
    "dead_letter_messages, oldest_message_age_seconds, function_errors, function_throttles, "
    "failed_notifications, failed_invocations, failed_executions"
)


def load(stage: str, change: Callable[[dict[str, Any]], object] = lambda raw: None) -> StageConfig:
    """The stage's config from cdk.json, after ``change`` edited the stage's settings."""
    context = copy.deepcopy(cdk_context(stage))
    change(context["stages"][stage])
    return load_stage_config(cdk.App(context=context))


def problems(stage: str, change: Callable[[dict[str, Any]], object]) -> str:
    with pytest.raises(ValueError, match=rf"^stage '{stage}' in cdk\.json \(context\.stages\.{stage}\) has ") as error:
        load(stage, change)
    return str(error.value)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_alarms_of_cdk_json_are_the_librarys_thresholds_as_written(stage: str) -> None:
    raw = cdk_context(stage)["stages"][stage]["alarms"]
    alarms = load(stage).alarms
    assert type(alarms) is AlarmThresholds
    assert alarms == AlarmThresholds(**raw)
    assert asdict(alarms) == raw
    assert ", ".join(ALARM_KEYS) == ACCEPTED_ALARM_KEYS


def test_unknown_and_missing_alarm_keys_are_named_with_the_accepted_keys() -> None:
    def old_names(raw: dict[str, Any]) -> None:
        alarms = raw["alarms"]
        alarms["dlq_messages_threshold"] = alarms.pop("dead_letter_messages")
        alarms["function_errors_threshold"] = alarms.pop("function_errors")

    message = problems("prod", old_names)
    assert message == (
        "stage 'prod' in cdk.json (context.stages.prod) has 2 problems:\n"
        "  - alarms has unknown keys dlq_messages_threshold, function_errors_threshold (did you mean "
        f"function_errors?); alarms takes exactly these keys: {ACCEPTED_ALARM_KEYS}\n"
        "  - alarms lacks the keys dead_letter_messages, function_errors; alarms takes exactly these keys: "
        f"{ACCEPTED_ALARM_KEYS}"
    )


@pytest.mark.parametrize("value", [0, -1, 1.5, "5", True])
def test_an_alarm_threshold_that_is_not_a_positive_whole_number_is_refused(value: object) -> None:
    def set_errors(raw: dict[str, Any]) -> None:
        raw["alarms"]["function_errors"] = value

    message = problems("dev", set_errors)
    assert message.endswith(
        "has 1 problem:\n  - alarms.function_errors is " + json.dumps(value) + "; use a whole number of 1 or more"
    )


def test_every_problem_of_a_stage_is_reported_at_once() -> None:
    def break_everything(raw: dict[str, Any]) -> None:
        raw["removal_policy"] = "snapshot"
        raw["alarms"]["failed_executions"] = 0
        raw["alarms"]["oldest_message_age_seconds"] = -300
        raw["alarms"]["dead_letter_message"] = 1
        del raw["alarms"]["dead_letter_messages"]

    message = problems("dev", break_everything)
    lines = message.splitlines()
    assert lines[0].endswith("has 5 problems:")
    assert lines[1:] == [
        "  - removal_policy must be one of ['destroy', 'retain']",
        "  - alarms has unknown key dead_letter_message (did you mean dead_letter_messages?); alarms takes exactly "
        f"these keys: {ACCEPTED_ALARM_KEYS}",
        f"  - alarms lacks the key dead_letter_messages; alarms takes exactly these keys: {ACCEPTED_ALARM_KEYS}",
        "  - alarms.oldest_message_age_seconds is -300; use a whole number of 1 or more",
        "  - alarms.failed_executions is 0; use a whole number of 1 or more",
    ]


@pytest.mark.parametrize(
    ("change", "found"), [(lambda raw: raw.pop("alarms"), "is missing"), (lambda raw: raw.update(alarms=[1]), "is [1]")]
)
def test_alarms_that_are_not_a_map_are_refused(change: Callable[[dict[str, Any]], object], found: str) -> None:
    message = problems("dev", change)
    assert re.search(rf"  - alarms {re.escape(found)}; it must be a map\. alarms takes exactly these keys: ", message)
    assert message.endswith(ACCEPTED_ALARM_KEYS)
