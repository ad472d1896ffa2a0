"""QueueConsumer: what it wires, and every prop it refuses."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from event_constructs import EventQueue, InvalidPropsError, QueueConsumer

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {'batchItemFailures': []}\n")


def consumer(queue_props: dict[str, Any] | None = None, **props: Any) -> tuple[cdk.Stack, QueueConsumer]:
    s = cdk.Stack(cdk.App(), "Test")
    queue = EventQueue(
        s,
        "Work",
        queue_name="work",
        **{"visibility_timeout": cdk.Duration.seconds(180), **(queue_props or {})},
    )
    return s, QueueConsumer(s, "Consumer", queue=queue, code=CODE, handler="index.handler", **props)


def test_the_mapping_reports_batch_item_failures_and_the_function_knows_its_dlq() -> None:
    s, _ = consumer(batch_size=5, max_concurrency=4)
    template = Template.from_stack(s)
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "BatchSize": 5,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": 4},
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.14",
            "TracingConfig": {"Mode": "Active"},
            "MemorySize": 256,
            "Environment": {
                "Variables": Match.object_like(
                    {
                        "MAX_ATTEMPTS": "5",
                        "QUEUE_URL": Match.any_value(),
                        "DEAD_LETTER_QUEUE_URL": Match.any_value(),
                    }
                )
            },
        },
    )


def test_a_batching_window_allows_larger_batches_on_standard_queues() -> None:
    s, _ = consumer(
        {"visibility_timeout": cdk.Duration.seconds(190)},
        batch_size=500,
        max_batching_window=cdk.Duration.seconds(10),
    )
    Template.from_stack(s).has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"BatchSize": 500, "MaximumBatchingWindowInSeconds": 10}
    )


REFUSED: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    ({"visibility_timeout": cdk.Duration.seconds(179)}, {}, "= 180 s"),
    (
        {},
        {"max_batching_window": cdk.Duration.seconds(1)},
        "6 x function timeout (30 s) + batching window (1 s)",
    ),
    ({"max_receive_count": 4}, {}, "max_receive_count 4"),
    ({"fifo": True}, {"max_batching_window": cdk.Duration.seconds(1)}, "refuses a batching window on FIFO"),
    (
        {"visibility_timeout": cdk.Duration.hours(1)},
        {"max_batching_window": cdk.Duration.minutes(6)},
        "at most 300 s",
    ),
    ({}, {"batch_size": 11}, "batch_size is 11; use 1 to 10 (more needs a batching window)"),
    ({"fifo": True}, {"batch_size": 20}, "batch_size is 20; use 1 to 10"),
    ({}, {"batch_size": 0}, "batch_size is 0"),
    ({}, {"max_concurrency": 1}, "max_concurrency is 1"),
    ({}, {"timeout": cdk.Duration.minutes(16)}, "at most 900 s"),
    ({}, {"memory_size": 64}, "memory_size is 64 MB"),
]


@pytest.mark.parametrize(("queue_props", "props", "message"), REFUSED, ids=[m for *_, m in REFUSED])
def test_refused_props(queue_props: dict[str, Any], props: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidPropsError) as raised:
        consumer(queue_props, **props)
    assert message in str(raised.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidPropsError) as raised:
        consumer({"max_receive_count": 2, "visibility_timeout": cdk.Duration.seconds(10)}, batch_size=0)
    assert len(raised.value.problems) == 3


def attempts_table(stack: cdk.Stack) -> Any:
    from aws_cdk import aws_dynamodb as dynamodb

    return dynamodb.TableV2(
        stack, "Attempts", partition_key=dynamodb.Attribute(name="message_key", type=dynamodb.AttributeType.STRING)
    )


def test_an_attempts_table_is_named_in_the_environment_and_may_be_updated_only() -> None:
    s = cdk.Stack(cdk.App(), "Test")
    queue = EventQueue(s, "Work", queue_name="work", visibility_timeout=cdk.Duration.seconds(180), max_receive_count=20)
    table = attempts_table(s)
    QueueConsumer(s, "Consumer", queue=queue, code=CODE, handler="index.handler", attempts_table=table, max_attempts=8)
    template = Template.from_stack(s)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": Match.object_like({"MAX_ATTEMPTS": "8", "ATTEMPTS_TABLE": Match.any_value()})}},
    )
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with([Match.object_like({"Action": "dynamodb:UpdateItem", "Effect": "Allow"})])
            }
        },
    )


@pytest.mark.parametrize(
    ("fifo", "max_receive_count", "message"),
    [
        (False, 15, "at least 2 x max_attempts (8) = 16"),
        (True, 159, "at least 2 x max_attempts (8) x batch_size (10) = 160"),
    ],
)
def test_with_an_attempts_table_max_receive_count_must_be_a_backstop(
    fifo: bool, max_receive_count: int, message: str
) -> None:
    s = cdk.Stack(cdk.App(), "Test")
    queue = EventQueue(
        s,
        "Work",
        queue_name="work",
        fifo=fifo,
        visibility_timeout=cdk.Duration.seconds(180),
        max_receive_count=max_receive_count,
    )
    with pytest.raises(InvalidPropsError, match=re.escape(message)):
        QueueConsumer(s, "Consumer", queue=queue, code=CODE, handler="index.handler", attempts_table=attempts_table(s))


def test_without_an_attempts_table_max_attempts_cannot_exceed_the_receives() -> None:
    with pytest.raises(InvalidPropsError, match="moves a message to its DLQ after 5 receives"):
        consumer(max_attempts=6)
