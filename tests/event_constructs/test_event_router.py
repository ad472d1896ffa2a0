"""EventRouter: what it builds (bus, rules, targets with their DLQ, an InputMapping rendered) and what it refuses."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from event_constructs import EventRouter, InputMapping, InvalidPropsError

PATTERN = events.EventPattern(source=["com.example"])


def router(**props: Any) -> tuple[cdk.Stack, EventRouter]:
    stack = cdk.Stack(cdk.App(), "Test")
    return stack, EventRouter(stack, "Router", bus_name="bus", **props)


def target(mapping: InputMapping | None = None, **props: Any) -> cdk.Stack:
    stack, r = router()
    machine = sfn.StateMachine(
        stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "P"))
    )
    rule = r.add_rule("Rule", rule_name="rule", pattern=PATTERN)
    r.add_state_machine_target(rule, machine, input_mapping=mapping, **props)
    return stack


def test_named_accounts_only_may_put_events() -> None:
    stack, _ = router(allowed_account_ids=["111111111111", "222222222222"])
    (policy,) = Template.from_stack(stack).find_resources("AWS::Events::EventBusPolicy").values()
    principal = policy["Properties"]["Statement"]["Principal"]["AWS"]
    rendered = cdk.Stack.of(stack).resolve(principal) if not isinstance(principal, list) else principal
    text = str(rendered)
    assert "111111111111" in text and "222222222222" in text


def test_a_target_gets_a_dlq_retries_and_a_maximum_age() -> None:
    stack = target(retry_attempts=3, max_event_age=cdk.Duration.minutes(30))
    (rule,) = Template.from_stack(stack).find_resources("AWS::Events::Rule").values()
    (rendered,) = rule["Properties"]["Targets"]
    assert rendered["RetryPolicy"] == {"MaximumEventAgeInSeconds": 1800, "MaximumRetryAttempts": 3}
    assert "DeadLetterConfig" in rendered
    queues = Template.from_stack(stack).find_resources("AWS::SQS::Queue")
    assert [q["Properties"]["QueueName"] for q in queues.values()] == ["rule-target-dlq"]


def test_an_input_mapping_renders_an_input_transformer() -> None:
    stack = target(InputMapping(paths={"id": "$.detail.id", "kind": "$.detail-type"}, constants={"n": 1}))
    (rule,) = Template.from_stack(stack).find_resources("AWS::Events::Rule").values()
    transformer = rule["Properties"]["Targets"][0]["InputTransformer"]
    assert transformer["InputPathsMap"] == {"detail-id": "$.detail.id", "detail-type": "$.detail-type"}
    assert transformer["InputTemplate"] == '{"id":<detail-id>,"kind":<detail-type>,"n":1}'


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        (InputMapping(paths={}), "needs at least one path"),
        (InputMapping(paths={"id": "detail.id"}), "is not a JSON path"),
        (InputMapping(paths={"id": "$.payload.id"}), "does not start at an event field"),
        (InputMapping(paths={"id": "$.detail.id"}, constants={"id": 1}), "both a path and a constant"),
        (InputMapping(paths={"id": "$.detail.id"}, constants={"when": object()}), "is not JSON"),
    ],
)
def test_refused_input_mappings(mapping: InputMapping, problem: str) -> None:
    with pytest.raises(InvalidPropsError) as raised:
        target(mapping)
    assert problem in str(raised.value)


@pytest.mark.parametrize(
    ("props", "problem"),
    [
        ({"retry_attempts": 186}, "retry_attempts is 186"),
        ({"max_event_age": cdk.Duration.seconds(30)}, "max_event_age is 30 s"),
        ({"max_event_age": cdk.Duration.hours(25)}, "max_event_age is 90000 s"),
    ],
)
def test_refused_target_props(props: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidPropsError) as raised:
        target(**props)
    assert problem in str(raised.value)


def test_an_archive_needs_a_name_and_a_pattern() -> None:
    with pytest.raises(InvalidPropsError, match="archive_name and archive_pattern together"):
        router(archive_name="all")


def test_a_pattern_eventbridge_would_refuse_fails_at_synth_with_its_reason() -> None:
    """The library judges patterns with the engine the local cloud and eventctl use (event_routing)."""

    stack = cdk.Stack(cdk.App(), "Test")
    router = EventRouter(stack, "Router", bus_name="b")
    with pytest.raises(InvalidPropsError, match=r"EventBridge would refuse the pattern of rule 'r'.*numeric"):
        router.add_rule("R", rule_name="r", pattern=events.EventPattern(detail={"n": [{"numeric": [">", "ten"]}]}))
    assert router.add_rule("Ok", rule_name="ok", pattern=events.EventPattern(detail={"n": [{"numeric": [">", 10]}]}))
