"""The constructs accept resources their users already have."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template

from event_constructs import EventQueue, EventRouter, FanOutTopic, InvalidPropsError, QueueConsumer, Subscriber

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {'batchItemFailures': []}\n")


def test_a_consumer_on_an_existing_queue_is_checked_against_what_the_queue_is() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    queue = EventQueue.from_existing(
        stack,
        "Legacy",
        queue=sqs.Queue.from_queue_arn(stack, "Q", "arn:aws:sqs:eu-west-1:111122223333:legacy"),
        dead_letter_queue=sqs.Queue.from_queue_arn(stack, "D", "arn:aws:sqs:eu-west-1:111122223333:legacy-dlq"),
        visibility_timeout=cdk.Duration.seconds(60),
        max_receive_count=3,
    )
    with pytest.raises(InvalidPropsError) as raised:
        QueueConsumer(stack, "Consumer", queue=queue, code=CODE, handler="index.handler")
    assert "visibility timeout of queue legacy is 60 s" in str(raised.value)
    assert "max_receive_count 3" in str(raised.value)


def test_an_existing_function_is_attached_and_given_the_consumer_environment() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    queue = EventQueue(stack, "Work", queue_name="work", visibility_timeout=cdk.Duration.seconds(120))
    function = lambda_.Function(
        stack,
        "Mine",
        runtime=lambda_.Runtime.PYTHON_3_14,
        code=CODE,
        handler="index.handler",
        timeout=cdk.Duration.seconds(20),
    )
    consumer = QueueConsumer(stack, "Consumer", queue=queue, function=function)
    assert consumer.function is function and consumer.role is None
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::Lambda::Function", 1)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": Match.object_like({"MAX_ATTEMPTS": "5", "QUEUE_URL": Match.any_value()})}},
    )
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping", {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
    )
    # With the runtime half its handler needs to use the environment (event_runtime.BatchConsumer): it had
    # the environment and no layer, so the handler could not import event_runtime in Lambda.
    (layer_id,) = template.find_resources("AWS::Lambda::LayerVersion")
    template.has_resource_properties("AWS::Lambda::Function", {"Layers": Match.array_with([{"Ref": layer_id}])})


def test_an_imported_function_needs_its_timeout() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    queue = EventQueue(stack, "Work", queue_name="work", visibility_timeout=cdk.Duration.seconds(120))
    imported = lambda_.Function.from_function_arn(stack, "F", "arn:aws:lambda:eu-west-1:111122223333:function:f")
    with pytest.raises(InvalidPropsError, match="pass timeout="):
        QueueConsumer(stack, "Consumer", queue=queue, function=imported)
    QueueConsumer(stack, "Consumer2", queue=queue, function=imported, timeout=cdk.Duration.seconds(20))


def test_code_and_function_together_are_refused() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    queue = EventQueue(stack, "Work", queue_name="work", visibility_timeout=cdk.Duration.seconds(180))
    imported = lambda_.Function.from_function_arn(stack, "F", "arn:aws:lambda:eu-west-1:111122223333:function:f")
    with pytest.raises(InvalidPropsError, match="not both"):
        QueueConsumer(stack, "Consumer", queue=queue, function=imported, code=CODE, handler="index.handler")


def test_an_existing_topic_fans_out_without_a_new_topic() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    topic = sns.Topic.from_topic_arn(stack, "T", "arn:aws:sns:eu-west-1:111122223333:legacy-events")
    fan_out = FanOutTopic(stack, "FanOut", topic=topic, subscribers=[Subscriber("audit")])
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::SNS::Topic", 0)
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"TopicArn": "arn:aws:sns:eu-west-1:111122223333:legacy-events"}
    )
    assert fan_out.topic_key is None


def test_a_topic_name_and_a_topic_together_are_refused() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    topic = sns.Topic.from_topic_arn(stack, "T", "arn:aws:sns:eu-west-1:111122223333:legacy-events")
    with pytest.raises(InvalidPropsError, match="exactly one of them"):
        FanOutTopic(stack, "FanOut", topic=topic, topic_name="other", subscribers=[Subscriber("audit")])


def test_an_existing_bus_is_routed_and_archived_without_touching_its_policy() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    bus = events.EventBus.from_event_bus_name(stack, "B", "legacy-bus")
    EventRouter(
        stack, "Router", bus=bus, archive_name="legacy-archive", archive_pattern=events.EventPattern(source=["x"])
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::Events::EventBus", 0)
    template.resource_count_is("AWS::Events::EventBusPolicy", 0)
    template.has_resource_properties("AWS::Events::Archive", {"ArchiveName": "legacy-archive"})
