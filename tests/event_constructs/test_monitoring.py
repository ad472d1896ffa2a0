"""EventMonitoring: resources built with the library get alarms without code of their own."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from event_constructs import AlarmThresholds, EventMonitoring, EventQueue, QueueConsumer

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {'batchItemFailures': []}\n")


def test_a_new_queue_consumer_and_state_machine_get_alarms_from_watching_the_stack() -> None:
    stack = cdk.Stack(cdk.App(), "Shop")
    jobs = EventQueue(stack, "Jobs", queue_name="jobs", visibility_timeout=cdk.Duration.seconds(180))
    QueueConsumer(stack, "Worker", queue=jobs, code=CODE, handler="index.handler")
    sfn.StateMachine(stack, "Flow", definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "P")))
    monitoring = EventMonitoring(
        stack, "Monitoring", dashboard_name="shop", thresholds=AlarmThresholds(oldest_message_age_seconds=60)
    )
    monitoring.watch(stack)
    assert sorted(monitoring.watched.values()) == ["function", "queue", "state machine"]
    alarms = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm")
    names = sorted(a["Properties"]["AlarmName"] for a in alarms.values())
    assert len(names) == 7  # queue age, DLQ size, faults, throttles, failed, timed out, aborted
    assert any("Message-Age" in n for n in names) and any("Aborted" in n for n in names)


def test_watching_twice_adds_nothing() -> None:
    stack = cdk.Stack(cdk.App(), "Shop")
    EventQueue(stack, "Jobs", queue_name="jobs")
    monitoring = EventMonitoring(stack, "Monitoring", dashboard_name="shop")
    monitoring.watch(stack)
    monitoring.watch(stack)
    assert len(Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm")) == 2
