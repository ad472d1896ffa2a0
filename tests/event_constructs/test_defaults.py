"""The defaults of event_constructs: set once (event_constructs.defaults), and said three times, all alike:
in the README's table, in each prop's docstring, and in what a construct built without the prop synthesizes."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, is_dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn

import event_constructs
from event_constructs import (
    EventMonitoring,
    EventQueue,
    EventRouter,
    FanOutTopic,
    QueueConsumer,
    QueueWorkerService,
    ServiceFunction,
    Subscriber,
    backstop_receive_count,
    powertools_layer,
    powertools_layer_arn,
    rotating_key,
)
from event_constructs.defaults import (
    COMMAND,
    CONSUMER,
    FUNCTION,
    QUEUE,
    TABLE_END,
    TABLE_START,
    Row,
    markdown_table,
    rows,
    with_table,
)
from event_constructs.queue_consumer import VISIBILITY_TO_TIMEOUT_RATIO

README = Path(__file__).resolve().parents[2] / "README.md"
CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {'batchItemFailures': []}\n")
IMAGE = ecs.ContainerImage.from_registry("example.com/worker:1")
ALL_ROWS = list(rows())
#: Every prop some row is the default of, as ``Owner.prop``.
DEFAULTED = [(row, prop) for row in ALL_ROWS for prop in row.props]


# --- the README's table ------------------------------------------------------------------------------------------


def test_the_readmes_table_of_defaults_is_the_one_the_code_renders() -> None:
    readme = README.read_text()
    assert readme.count(TABLE_START) == 1 and readme.count(TABLE_END) == 1, "the README lost its table's markers"
    assert with_table(readme) == readme, (
        f"README.md's table of defaults differs from the code; rewrite it with `{COMMAND} --write README.md`"
    )


def test_the_table_has_a_row_per_default_with_one_prop_name_each() -> None:
    table = markdown_table().splitlines()
    assert len(table) == 2 + len(ALL_ROWS)
    for row in ALL_ROWS:
        assert {prop.rsplit(".", 1)[1] for prop in row.props} == {row.prop}, row.props
    assert len({prop for _, prop in DEFAULTED}) == len(DEFAULTED), "a prop is the default of two rows"


# --- the docstrings ---------------------------------------------------------------------------------------------

#: The public constructs, dataclasses, methods and functions whose props have defaults.
DOCUMENTED = (
    "EventQueue",
    "EventQueue.from_existing",
    "ExistingEventQueue",
    "QueueConsumer",
    "QueueWorkerService",
    "ServiceFunction",
    "FanOutTopic",
    "Subscriber",
    "EventRouter",
    "EventRouter.add_rule",
    "EventRouter.add_state_machine_target",
    "EventMonitoring",
    "AlarmThresholds",
    "rotating_key",
    "powertools_layer",
    "powertools_layer_arn",
)
#: Props every construct has, documented by CDK's convention rather than by each construct.
CONVENTIONAL = {"self", "scope", "construct_id"}


def owner(name: str) -> Any:
    found: Any = event_constructs
    for part in name.split("."):
        found = getattr(found, part)
    return found


def parameters(name: str) -> dict[str, inspect.Parameter]:
    target = owner(name)
    signature = inspect.signature(target.__init__ if inspect.isclass(target) else target)
    return {p.name: p for p in signature.parameters.values() if p.name not in CONVENTIONAL}


def documented_props(name: str) -> dict[str, str]:
    """Prop -> its entry in the docstring's ``Args:`` (``Attributes:`` for a dataclass), continuation lines joined."""
    target = owner(name)
    section = "Attributes:" if is_dataclass(target) else "Args:"
    entries: dict[str, str] = {}
    inside, current = False, None
    for line in (inspect.getdoc(target) or "").splitlines():
        if line.strip() and not line.startswith(" "):
            inside, current = line.strip() == section, None
            continue
        entry = re.match(r"^ {4}(\w+): (.*)$", line)
        if inside and entry:
            current = entry[1]
            entries[current] = entry[2]
        elif inside and current and line.startswith(" " * 8):
            entries[current] += " " + line.strip()
    return entries


@pytest.mark.parametrize("name", DOCUMENTED)
def test_each_prop_is_documented_and_each_default_is_said(name: str) -> None:
    documented = documented_props(name)
    missing = [prop for prop in parameters(name) if prop not in documented and prop not in CONVENTIONAL]
    assert missing == [], f"{name}'s docstring does not document {missing}"
    for prop, parameter in parameters(name).items():
        if parameter.default is inspect.Parameter.empty:
            continue
        assert "Default: " in documented[prop], f"{name}.{prop}: its docstring does not give its default"
        if f"{name}.{prop}" not in {p for _, p in DEFAULTED} and isinstance(parameter.default, bool | int | str):
            assert f"Default: {parameter.default}." in documented[prop], f"{name}.{prop}"


@pytest.mark.parametrize(("row", "prop"), DEFAULTED, ids=[prop for _, prop in DEFAULTED])
def test_each_props_docstring_gives_the_default_of_the_table(row: Row, prop: str) -> None:
    name, _, prop_name = prop.rpartition(".")
    assert name in DOCUMENTED
    assert f"Default: {row.text}." in documented_props(name).get(prop_name, ""), (
        f"the docstring of {prop} must say 'Default: {row.text}.', as {row.where} is"
    )
    parameter = parameters(name)[prop_name]
    if parameter.default is not None:  # None: the construct fills in the default itself
        assert parameter.default == row.value, f"{prop}'s signature says {parameter.default!r}"


# --- what a construct built without the props synthesizes -------------------------------------------------------


@dataclass
class Built:
    """One stack of every construct, each built with the props it cannot do without and no others."""

    stack: cdk.Stack
    queue: EventQueue
    fan_out: FanOutTopic
    function: ServiceFunction
    consumer: QueueConsumer
    counted_consumer: QueueConsumer
    worker: QueueWorkerService
    counted_worker: QueueWorkerService
    router: EventRouter
    monitoring: EventMonitoring
    key: Any
    layer_arns: tuple[Any, ...]
    template: dict[str, Any]

    def props(self, construct: Any) -> dict[str, Any]:
        return self.resource(construct)["Properties"]

    def resource(self, construct: Any) -> dict[str, Any]:
        """The template's resource of ``construct`` (or of its default child)."""
        child = construct.node.default_child or construct
        return self.template["Resources"][self.stack.resolve(self.stack.get_logical_id(child))]

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        return [r["Properties"] for r in self.template["Resources"].values() if r["Type"] == resource_type]

    def alarms(self, *name_parts: str) -> list[dict[str, Any]]:
        found = [a for a in self.of_type("AWS::CloudWatch::Alarm") if any(p in a["AlarmName"] for p in name_parts)]
        assert found, name_parts
        return found


@pytest.fixture(scope="module")
def built() -> Built:
    stack = cdk.Stack(cdk.App(), "Defaults")
    consumable = cdk.Duration.seconds(VISIBILITY_TO_TIMEOUT_RATIO * FUNCTION.timeout.to_seconds())
    consumed = EventQueue(stack, "ConsumedQueue", visibility_timeout=consumable)
    backstop = backstop_receive_count(CONSUMER.max_attempts_with_attempts_table, CONSUMER.batch_size, fifo=False)
    counted = EventQueue(stack, "CountedQueue", visibility_timeout=consumable, max_receive_count=backstop)
    attempts = dynamodb.TableV2(
        stack, "Attempts", partition_key=dynamodb.Attribute(name="message_key", type=dynamodb.AttributeType.STRING)
    )
    router = EventRouter(
        stack, "Router", bus_name="bus", archive_name="archive", archive_pattern=events.EventPattern(source=["test"])
    )
    rule = router.add_rule("Rule", rule_name="rule", pattern=events.EventPattern(source=["test"]))
    machine = sfn.StateMachine(
        stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "P"))
    )
    router.add_state_machine_target(rule, machine)
    parts: dict[str, Any] = {
        "queue": EventQueue(stack, "Queue"),
        "fan_out": FanOutTopic(stack, "FanOut", topic_name="fan-out", subscribers=[Subscriber("subscriber")]),
        "function": ServiceFunction(stack, "Function", code=CODE, handler="index.handler", invoked_by="a test"),
        "consumer": QueueConsumer(stack, "Consumer", queue=consumed, code=CODE, handler="index.handler"),
        "counted_consumer": QueueConsumer(
            stack, "CountedConsumer", queue=counted, code=CODE, handler="index.handler", attempts_table=attempts
        ),
        "key": rotating_key(stack, "Key", description="a key"),
        "worker": QueueWorkerService(
            stack, "Worker", queue=EventQueue(stack, "WorkedQueue"), image=IMAGE, command=["python", "-m", "worker"]
        ),
        "counted_worker": QueueWorkerService(
            stack,
            "CountedWorker",
            queue=counted,
            image=IMAGE,
            command=["python", "-m", "worker"],
            attempts_table=attempts,
        ),
    }
    monitoring = EventMonitoring(stack, "Monitoring", dashboard_name="defaults")
    monitoring.watch(stack)
    # The layer's ARN names its account and region: in a stack bound to a region they are literals.
    regional = cdk.Stack(cdk.App(), "Regional", env=cdk.Environment(account="111122223333", region="eu-west-1"))
    layer_arns = (regional.resolve(powertools_layer(regional).layer_version_arn), powertools_layer_arn(regional))
    template = dict(cdk.assertions.Template.from_stack(stack).to_json())
    return Built(stack, router=router, monitoring=monitoring, layer_arns=layer_arns, template=template, **parts)


def single(values: Iterable[Any]) -> Any:
    """The one value all of ``values`` are (the default applies to each of them)."""
    distinct = {repr(value): value for value in values}
    assert len(distinct) == 1, f"one default, several values: {list(distinct)}"
    return next(iter(distinct.values()))


def fires_at(alarm: dict[str, Any]) -> int:
    """The count at which a count alarm fires."""
    threshold = int(alarm["Threshold"])
    return threshold + 1 if alarm["ComparisonOperator"] == "GreaterThanThreshold" else threshold


def layer(arn: Any) -> tuple[str, str]:
    """(runtime, architecture) of a Powertools layer, read from its name (``...-python314-arm64:36``)."""
    match = re.search(r"-python(\d)(\d+)-(arm64|x86_64):\d+\b", json.dumps(arn))
    assert match is not None, arn
    return f"python{match[1]}.{match[2]}", match[3]


def queue_named(b: Built, name: str) -> dict[str, Any]:
    return single(q for q in b.of_type("AWS::SQS::Queue") if q.get("QueueName") == name)


def function_of(b: Built, owner: ServiceFunction | QueueConsumer) -> dict[str, Any]:
    return b.props(owner.function)


def log_group_of(b: Built, owner: ServiceFunction | QueueConsumer) -> dict[str, Any]:
    assert owner.log_group is not None
    return b.resource(owner.log_group)


def mapping_of(b: Built, consumer: QueueConsumer) -> dict[str, Any]:
    function_id = b.stack.resolve(b.stack.get_logical_id(consumer.function.node.default_child))  # type: ignore[arg-type]
    return single(m for m in b.of_type("AWS::Lambda::EventSourceMapping") if m["FunctionName"] == {"Ref": function_id})


def task_of(b: Built, worker: QueueWorkerService) -> dict[str, Any]:
    return b.props(worker.task_definition)


def worker_environment(b: Built, worker: QueueWorkerService) -> dict[str, Any]:
    (container,) = task_of(b, worker)["ContainerDefinitions"]
    return {variable["Name"]: variable["Value"] for variable in container["Environment"]}


def scalable_target_of(b: Built) -> dict[str, Any]:
    """What the service built without min/max synthesizes for its count: its DesiredCount, as min = max."""
    assert not b.of_type("AWS::ApplicationAutoScaling::ScalableTarget"), "nothing scales by default"
    desired = b.props(b.worker.service)["DesiredCount"]
    return {"MinCapacity": desired, "MaxCapacity": desired}


def subscriber(b: Built) -> EventQueue:
    return b.fan_out.queues["subscriber"]


def target(b: Built) -> dict[str, Any]:
    return single(b.props(b.router.rules["rule"])["Targets"])


#: ``Owner.prop`` -> what the construct built without it synthesized, in the units of :func:`synthesized`.
PROBES: dict[str, Callable[[Built], Any]] = {
    "EventQueue.visibility_timeout": lambda b: b.props(b.queue.queue)["VisibilityTimeout"],
    "Subscriber.visibility_timeout": lambda b: b.props(subscriber(b).queue)["VisibilityTimeout"],
    "EventQueue.retention_period": lambda b: b.props(b.queue.queue)["MessageRetentionPeriod"],
    "FanOutTopic.retention_period": lambda b: b.props(subscriber(b).queue)["MessageRetentionPeriod"],
    "EventQueue.dead_letter_retention_period": lambda b: b.props(b.queue.dead_letter_queue)["MessageRetentionPeriod"],
    "FanOutTopic.dead_letter_retention_period": lambda b: single(
        [
            b.props(subscriber(b).dead_letter_queue)["MessageRetentionPeriod"],
            queue_named(b, "subscriber-delivery-dlq")["MessageRetentionPeriod"],
        ]
    ),
    "EventQueue.receive_wait_time": lambda b: b.props(b.queue.queue)["ReceiveMessageWaitTimeSeconds"],
    "EventQueue.max_receive_count": lambda b: b.props(b.queue.queue)["RedrivePolicy"]["maxReceiveCount"],
    "Subscriber.max_receive_count": lambda b: b.props(subscriber(b).queue)["RedrivePolicy"]["maxReceiveCount"],
    "EventQueue.encryption_key": lambda b: (
        None
        if single(b.props(q).get("SqsManagedSseEnabled") for q in (b.queue.queue, b.queue.dead_letter_queue))
        else "not SQS-managed SSE"
    ),
    "powertools_layer.runtime": lambda b: layer(b.layer_arns[0])[0],
    "powertools_layer_arn.runtime": lambda b: layer(b.layer_arns[1])[0],
    "powertools_layer.architecture": lambda b: layer(b.layer_arns[0])[1],
    "powertools_layer_arn.architecture": lambda b: layer(b.layer_arns[1])[1],
    "ServiceFunction.timeout": lambda b: function_of(b, b.function)["Timeout"],
    "QueueConsumer.timeout": lambda b: function_of(b, b.consumer)["Timeout"],
    "ServiceFunction.memory_size": lambda b: function_of(b, b.function)["MemorySize"],
    "QueueConsumer.memory_size": lambda b: function_of(b, b.consumer)["MemorySize"],
    "ServiceFunction.with_runtime_layer": lambda b: any(
        layer.get("Ref", "").startswith("EventRuntimeLayer") for layer in function_of(b, b.function)["Layers"]
    ),
    "QueueConsumer.with_runtime_layer": lambda b: any(
        layer.get("Ref", "").startswith("EventRuntimeLayer") for layer in function_of(b, b.consumer)["Layers"]
    ),
    "ServiceFunction.log_retention": lambda b: log_group_of(b, b.function)["Properties"]["RetentionInDays"],
    "QueueConsumer.log_retention": lambda b: log_group_of(b, b.consumer)["Properties"]["RetentionInDays"],
    "QueueConsumer.batch_size": lambda b: mapping_of(b, b.consumer)["BatchSize"],
    "QueueConsumer.max_batching_window": lambda b: mapping_of(b, b.consumer).get("MaximumBatchingWindowInSeconds"),
    "QueueConsumer.max_concurrency": lambda b: mapping_of(b, b.consumer).get("ScalingConfig"),
    "QueueConsumer.max_attempts": lambda b: int(
        function_of(b, b.counted_consumer)["Environment"]["Variables"]["MAX_ATTEMPTS"]
    ),
    "Subscriber.raw_message_delivery": lambda b: single(b.of_type("AWS::SNS::Subscription")).get(
        "RawMessageDelivery", False
    ),
    # EventBridge keeps an archive's events forever when its retention is 0 days.
    "EventRouter.archive_retention": lambda b: single(b.of_type("AWS::Events::Archive"))["RetentionDays"] or None,
    "EventRouter.allowed_account_ids": lambda b: (
        None
        if single(b.of_type("AWS::Events::EventBusPolicy"))["Statement"]["Principal"]
        == {"AWS": b.stack.resolve(f"arn:{b.stack.partition}:iam::{b.stack.account}:root")}
        else "another account"
    ),
    "EventRouter.add_state_machine_target.retry_attempts": lambda b: target(b)["RetryPolicy"]["MaximumRetryAttempts"],
    "EventRouter.add_state_machine_target.max_event_age": lambda b: target(b)["RetryPolicy"][
        "MaximumEventAgeInSeconds"
    ],
    "AlarmThresholds.dead_letter_messages": lambda b: single(fires_at(a) for a in b.alarms("DLQ", "dlq")),
    # The age alarm fires above its threshold.
    "AlarmThresholds.oldest_message_age_seconds": lambda b: single(a["Threshold"] for a in b.alarms("Message-Age")),
    "AlarmThresholds.function_errors": lambda b: single(fires_at(a) for a in b.alarms("Fault-Count")),
    "AlarmThresholds.function_throttles": lambda b: single(fires_at(a) for a in b.alarms("Throttled-Count")),
    "AlarmThresholds.failed_notifications": lambda b: single(fires_at(a) for a in b.alarms("Notifications-Failed")),
    "AlarmThresholds.failed_invocations": lambda b: single(fires_at(a) for a in b.alarms("FailedInvocations")),
    "AlarmThresholds.failed_executions": lambda b: single(
        fires_at(a) for a in b.alarms("Failure-Count", "Aborted-Count", "TimedOut-Count")
    ),
    "EventQueue.removal_policy": lambda b: single(
        b.resource(q)["DeletionPolicy"] for q in (b.queue.queue, b.queue.dead_letter_queue)
    ),
    "FanOutTopic.removal_policy": lambda b: single(
        b.resource(part)["DeletionPolicy"]
        for part in (b.fan_out.topic_key, b.fan_out.queue_key, subscriber(b).queue, subscriber(b).dead_letter_queue)
    ),
    "QueueConsumer.removal_policy": lambda b: log_group_of(b, b.consumer)["DeletionPolicy"],
    "ServiceFunction.removal_policy": lambda b: log_group_of(b, b.function)["DeletionPolicy"],
    "EventRouter.removal_policy": lambda b: b.resource(b.router.dead_letter_queues["rule"])["DeletionPolicy"],
    "EventMonitoring.removal_policy": lambda b: b.resource(b.monitoring.alarm_key)["DeletionPolicy"],
    "QueueWorkerService.removal_policy": lambda b: b.resource(b.worker.log_group)["DeletionPolicy"],
    "QueueWorkerService.max_attempts": lambda b: int(worker_environment(b, b.counted_worker)["MAX_ATTEMPTS"]),
    "QueueWorkerService.cpu": lambda b: int(task_of(b, b.worker)["Cpu"]),
    "QueueWorkerService.memory_limit_mib": lambda b: int(task_of(b, b.worker)["Memory"]),
    "QueueWorkerService.cpu_architecture": lambda b: task_of(b, b.worker)["RuntimePlatform"]["CpuArchitecture"],
    "QueueWorkerService.min_task_count": lambda b: scalable_target_of(b)["MinCapacity"],
    "QueueWorkerService.max_task_count": lambda b: scalable_target_of(b)["MaxCapacity"],
    # The target it would track with a time per message of 1 s: acceptable latency x concurrency (1) / 1 s.
    "QueueWorkerService.acceptable_latency": lambda b: (
        QueueWorkerService(
            cdk.Stack(cdk.App(), "Scaling"),
            "Worker",
            queue=EventQueue(cdk.Stack(cdk.App(), "Queue"), "Queue"),
            image=IMAGE,
            command=["worker"],
            max_task_count=2,
            time_per_message=cdk.Duration.seconds(1),
        ).acceptable_backlog_per_task
    ),
    "QueueWorkerService.concurrency": lambda b: int(worker_environment(b, b.worker)["CONCURRENCY"]),
    "QueueWorkerService.batch_size": lambda b: int(worker_environment(b, b.worker)["BATCH_SIZE"]),
    # None: a third of the queue's visibility timeout (30 s by default), so 10 s.
    "QueueWorkerService.heartbeat": lambda b: (
        None
        if int(worker_environment(b, b.worker)["HEARTBEAT_SECONDS"])
        == int(worker_environment(b, b.worker)["VISIBILITY_TIMEOUT_SECONDS"]) // 3
        else "not a third of the visibility timeout"
    ),
    "QueueWorkerService.max_in_hand": lambda b: int(worker_environment(b, b.worker)["MAX_IN_HAND_SECONDS"]),
    "QueueWorkerService.drain_deadline": lambda b: int(worker_environment(b, b.worker)["DRAIN_SECONDS"]),
    "QueueWorkerService.stop_timeout": lambda b: single(task_of(b, b.worker)["ContainerDefinitions"])["StopTimeout"],
    "QueueWorkerService.log_retention": lambda b: b.resource(b.worker.log_group)["Properties"]["RetentionInDays"],
    "rotating_key.removal_policy": lambda b: b.resource(b.key)["DeletionPolicy"],
}


def synthesized(value: Any) -> Any:
    """A default as the template shows it: seconds for a duration, CDK's own rendering of an enum, None unset."""
    if value is None or value == ():
        return None
    if isinstance(value, cdk.Duration):
        return value.to_seconds()
    if isinstance(value, lambda_.Runtime | lambda_.Architecture):
        return value.name
    stack = cdk.Stack(cdk.App(), "Rendering")
    if isinstance(value, cdk.RemovalPolicy):
        sqs.Queue(stack, "Queue", removal_policy=value)
        return single(
            r["DeletionPolicy"] for r in cdk.assertions.Template.from_stack(stack).to_json()["Resources"].values()
        )
    if isinstance(value, logs.RetentionDays):
        logs.LogGroup(stack, "Logs", retention=value)
        return single(
            r["Properties"]["RetentionInDays"]
            for r in cdk.assertions.Template.from_stack(stack).to_json()["Resources"].values()
        )
    return value


def test_every_default_in_the_table_is_probed() -> None:
    assert sorted(PROBES) == sorted(prop for _, prop in DEFAULTED)


@pytest.mark.parametrize(("row", "prop"), DEFAULTED, ids=[prop for _, prop in DEFAULTED])
def test_each_default_is_what_a_construct_built_without_it_synthesizes(built: Built, row: Row, prop: str) -> None:
    assert PROBES[prop](built) == synthesized(row.value), f"{prop}: the table says {row.text}"


def test_without_an_attempts_table_a_consumer_tries_a_message_as_often_as_its_queue_receives_it(built: Built) -> None:
    variables = function_of(built, built.consumer)["Environment"]["Variables"]
    assert variables["MAX_ATTEMPTS"] == variables["MAX_RECEIVE_COUNT"] == str(QUEUE.max_receive_count)
