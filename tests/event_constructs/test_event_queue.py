"""EventQueue: the DLQ it always makes, its defaults, and every prop it refuses."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from event_constructs import EventQueue, InvalidPropsError


def stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Test")


def test_a_standard_queue_gets_a_standard_dlq_with_longer_retention() -> None:
    s = stack()
    queue = EventQueue(s, "Orders", queue_name="orders", retention_period=cdk.Duration.days(2))
    assert (queue.queue_name, queue.dead_letter_queue_name) == ("orders", "orders-dlq")
    template = Template.from_stack(s)
    template.resource_count_is("AWS::SQS::Queue", 2)
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {"QueueName": "orders-dlq", "MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True},
    )
    template.has_resource_properties("AWS::SQS::Queue", {"QueueName": "orders", "MessageRetentionPeriod": 172800})


@pytest.mark.parametrize("name", ["payments", "payments.fifo"])
def test_fifo_names_get_the_suffix_once_and_the_dlq_is_fifo(name: str) -> None:
    s = stack()
    queue = EventQueue(s, "Payments", queue_name=name, fifo=True, content_based_deduplication=True)
    assert (queue.queue_name, queue.dead_letter_queue_name) == ("payments.fifo", "payments-dlq.fifo")
    template = Template.from_stack(s)
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {"QueueName": "payments-dlq.fifo", "FifoQueue": True, "ContentBasedDeduplication": True},
    )


def test_without_a_name_a_unique_one_is_derived_for_both_queues() -> None:
    s = stack()
    queue = EventQueue(s, "Anonymous", fifo=True)
    assert queue.queue_name.endswith(".fifo") and queue.dead_letter_queue_name.endswith("-dlq.fifo")
    assert len(queue.dead_letter_queue_name) <= 80
    assert queue.queue_name.removesuffix(".fifo") in queue.dead_letter_queue_name


def test_high_throughput_sets_both_fifo_throughput_options() -> None:
    s = stack()
    EventQueue(s, "Fast", queue_name="fast", fifo=True, high_throughput=True)
    Template.from_stack(s).has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": "fast.fifo",
            "DeduplicationScope": "messageGroup",
            "FifoThroughputLimit": "perMessageGroupId",
        },
    )


def test_a_customer_managed_key_encrypts_both_queues() -> None:
    s = stack()
    key = kms.Key(s, "Key", enable_key_rotation=True)
    EventQueue(s, "Secret", queue_name="secret", encryption_key=key)
    template = Template.from_stack(s)
    queues = template.find_resources("AWS::SQS::Queue")
    assert len(queues) == 2
    for queue in queues.values():
        assert "KmsMasterKeyId" in queue["Properties"]
        assert "SqsManagedSseEnabled" not in queue["Properties"]


REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"queue_name": "jobs.fifo"}, "ends with .fifo; set fifo=True"),
    ({"queue_name": "bad name!"}, "may use only letters, digits"),
    ({"queue_name": "x" * 77}, "too long"),
    ({"max_receive_count": 0}, "max_receive_count is 0"),
    ({"visibility_timeout": cdk.Duration.hours(13)}, "visibility_timeout is 46800 s"),
    ({"retention_period": cdk.Duration.seconds(30)}, "retention_period is 30 s"),
    ({"retention_period": cdk.Duration.days(14)}, "must be longer than retention_period"),
    ({"dead_letter_retention_period": cdk.Duration.days(15)}, "dead_letter_retention_period is 1.296e+06 s"),
    ({"content_based_deduplication": True}, "content_based_deduplication applies to FIFO queues only"),
    (
        {"deduplication_scope": sqs.DeduplicationScope.QUEUE},
        "deduplication_scope applies to FIFO queues only",
    ),
    ({"high_throughput": True}, "high_throughput applies to FIFO queues only"),
    (
        {"fifo": True, "high_throughput": True, "deduplication_scope": sqs.DeduplicationScope.QUEUE},
        "high_throughput needs deduplication_scope=MESSAGE_GROUP",
    ),
]


@pytest.mark.parametrize(("props", "message"), REFUSED, ids=[m for _, m in REFUSED])
def test_refused_props(props: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidPropsError) as raised:
        EventQueue(stack(), "Queue", **props)
    assert message in str(raised.value)
    assert "Test/Queue" in str(raised.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidPropsError) as raised:
        EventQueue(
            stack(),
            "Queue",
            queue_name="q.fifo",
            max_receive_count=0,
            high_throughput=True,
            retention_period=cdk.Duration.days(14),
        )
    assert len(raised.value.problems) == 4
    assert "has 4 invalid props" in str(raised.value)
