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

from event_constructs import AlarmThresholds, InvalidPropsError
from stacks import QUEUE_NAMES, build_orders_app
from stacks.config import ALARM_KEYS, StageConfig, load_stage_config
from tests.cdk_app import SynthesizedApp, cdk_context

ACCEPTED_ALARM_KEYS = (
    "dead_letter_messages, oldest_message_age_seconds, function_errors, function_throttles, "
    "failed_notifications, failed_invocations, failed_executions"
)
ACCEPTED_QUEUES = (
    "order-processing, balance-updates.fifo, payment-processing, notification-service, analytics-ingestion, "
    "balance-reconciliation, order-flow-compensation-failures"
)


def edited_context(stage: str, change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    """cdk.json's context for ``stage``, after ``change`` edited the stage's settings."""
    context = copy.deepcopy(cdk_context(stage))
    change(context["stages"][stage])
    return context


def load(stage: str, change: Callable[[dict[str, Any]], object] = lambda raw: None) -> StageConfig:
    """The stage's config from cdk.json, after ``change`` edited the stage's settings."""
    return load_stage_config(cdk.App(context=edited_context(stage, change)), queue_names=QUEUE_NAMES)


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


def redrive_limits(app: SynthesizedApp) -> dict[str, int]:
    """Queue name -> maxReceiveCount, for every queue of the app that has a redrive policy."""
    return {
        queue["Properties"]["QueueName"]: queue["Properties"]["RedrivePolicy"]["maxReceiveCount"]
        for template in app.templates.values()
        for queue in template["Resources"].values()
        if queue["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in queue["Properties"]
    }


@pytest.mark.parametrize("fixture", ["dev_app", "prod_app"])
def test_every_queue_has_the_redrive_limit_its_stage_gives_it(fixture: str, request: pytest.FixtureRequest) -> None:
    app: SynthesizedApp = request.getfixturevalue(fixture)
    stage = app.orders.stage.name
    assert redrive_limits(app) == cdk_context(stage)["stages"][stage]["max_receive_count"]
    assert dict(app.orders.stage.max_receive_count) == redrive_limits(app)


def test_the_redrive_limits_are_those_the_queues_had_before_they_were_stage_settings() -> None:
    backstop, fifo_backstop, library_default = 16, 160, 5
    for stage in ("dev", "prod"):
        assert dict(load(stage).max_receive_count) == {
            "order-processing": backstop,
            "balance-updates.fifo": fifo_backstop,
            "payment-processing": backstop,
            "notification-service": backstop,
            "analytics-ingestion": backstop,
            "balance-reconciliation": backstop,
            "order-flow-compensation-failures": library_default,
        }


def test_unknown_and_missing_queues_are_named_with_the_queues_of_the_app() -> None:
    def typo(raw: dict[str, Any]) -> None:
        limits = raw["max_receive_count"]
        limits["order-procesing"] = limits.pop("order-processing")
        limits["balance-updates"] = limits.pop("balance-updates.fifo")
        limits["audit"] = 16

    message = problems("dev", typo)
    assert message == (
        "stage 'dev' in cdk.json (context.stages.dev) has 2 problems:\n"
        "  - max_receive_count has unknown keys order-procesing (did you mean order-processing?), balance-updates "
        "(did you mean balance-updates.fifo?), audit; max_receive_count takes exactly these keys: "
        f"{ACCEPTED_QUEUES}\n"
        "  - max_receive_count lacks the keys order-processing, balance-updates.fifo; max_receive_count takes "
        f"exactly these keys: {ACCEPTED_QUEUES}"
    )


@pytest.mark.parametrize("value", [0, 1001, -5, 16.5, "16", False])
def test_a_redrive_limit_outside_what_sqs_accepts_is_refused(value: object) -> None:
    def set_limit(raw: dict[str, Any]) -> None:
        raw["max_receive_count"]["order-flow-compensation-failures"] = value

    assert problems("prod", set_limit).endswith(
        f"has 1 problem:\n  - max_receive_count.order-flow-compensation-failures is {json.dumps(value)}; "
        "use a whole number from 1 to 1000 (SQS's limits)"
    )


@pytest.mark.parametrize("value", [1, 1000])
def test_sqs_limits_themselves_are_accepted(value: int) -> None:
    def set_limit(raw: dict[str, Any]) -> None:
        raw["max_receive_count"]["order-flow-compensation-failures"] = value

    assert load("dev", set_limit).max_receive_count["order-flow-compensation-failures"] == value


def test_a_consumer_queues_limit_below_the_backstop_fails_synth_naming_the_queue() -> None:
    def too_low(raw: dict[str, Any]) -> None:
        raw["max_receive_count"]["payment-processing"] = 5

    with pytest.raises(
        InvalidPropsError, match=r"queue payment-processing has max_receive_count 5; .* at least .* = 16"
    ):
        build_orders_app(cdk.App(context=edited_context("dev", too_low)))


@pytest.mark.parametrize("image", [None, "orders-workers", "Orders-Workers:1.0", "orders-workers:", 7])
def test_a_worker_image_that_is_not_an_ecr_repository_and_tag_is_refused(image: object) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["worker_image"] = image

    with pytest.raises(ValueError, match=r"worker_image is .*; use '<ECR repository>:<tag>'"):
        load("dev", change)


def test_the_worker_image_names_its_repository_and_tag() -> None:
    stage = load("dev")
    assert (stage.worker_image_repository, stage.worker_image_tag) == ("orders-workers", "0.2.0")
