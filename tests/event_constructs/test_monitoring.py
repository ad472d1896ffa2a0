"""EventMonitoring: resources built with the library get alarms without code of their own."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template
from constructs import Construct

from event_constructs import AlarmThresholds, EventMonitoring, EventQueue, QueueConsumer, QueueWorkerService

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


def test_a_queue_worker_gets_its_queues_alarms_and_one_for_messages_waiting_with_no_task_running() -> None:
    stack = cdk.Stack(cdk.App(), "Shop")
    queues = Construct(stack, "Queues")  # outside the watched scope: the worker brings its queue
    jobs = EventQueue(queues, "Jobs", queue_name="jobs", visibility_timeout=cdk.Duration.minutes(2))
    workers = Construct(stack, "Workers")
    worker = QueueWorkerService(
        workers,
        "Worker",
        queue=jobs,
        image=ecs.ContainerImage.from_registry("example.com/jobs:1"),
        command=["python", "-m", "jobs.worker"],
    )
    monitoring = EventMonitoring(stack, "Monitoring", dashboard_name="shop")
    monitoring.watch(workers)
    monitoring.watch(queues)  # already watched through the worker: nothing twice
    assert monitoring.watched == {"Shop/Queues/Jobs": "queue", "Shop/Workers/Worker": "worker"}
    alarms = {a["Properties"]["AlarmName"]: a["Properties"] for a in _alarms(stack)}
    assert sorted(alarms) == [
        "shop-Shop-Queues-Jobs-DLQ-Queue-Message-Count-Max-Warning",
        "shop-Shop-Queues-Jobs-Queue-Message-Age-Max-Warning",
        "shop-Shop-Workers-Worker-NoTaskRunning-Warning",
    ]
    down = alarms["shop-Shop-Workers-Worker-NoTaskRunning-Warning"]
    assert (down["EvaluationPeriods"], down["DatapointsToAlarm"], down["TreatMissingData"]) == (5, 5, "notBreaching")
    assert (down["ComparisonOperator"], down["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    expression, *metrics = down["Metrics"]
    assert expression["Expression"] == "IF(visible > 0 AND FILL(running, 0) < 1, 1, 0)"
    by_id = {m["Id"]: m["MetricStat"] for m in metrics}
    assert by_id["visible"]["Metric"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert by_id["running"]["Metric"]["Namespace"] == "ECS/ContainerInsights"
    assert by_id["running"]["Metric"]["Dimensions"][1] == {
        "Name": "ServiceName",
        "Value": {"Fn::GetAtt": [stack.get_logical_id(worker.service.node.default_child), "Name"]},  # type: ignore[arg-type]
    }
    assert {m["Period"] for m in by_id.values()} == {60}


def _alarms(stack: cdk.Stack) -> list[dict[str, Any]]:
    return list(Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm").values())
