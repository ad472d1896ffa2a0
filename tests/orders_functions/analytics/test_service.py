"""analytics against moto: one object per event id, partitioned by the day the event occurred."""

from __future__ import annotations

import json
from typing import Any

import boto3

from orders_functions.analytics import handler
from orders_functions.common.events import OrderEventPublisher
from tests.orders_functions.events import order_event
from tests.orders_functions.faults import fail_calls
from tests.orders_functions.sqs_harness import QueueHarness


def publish(count: int, **fields: Any) -> None:
    sns = boto3.client("sns")
    publisher = OrderEventPublisher(sns, sns.create_topic(Name="order-events")["TopicArn"])  # the env's topic
    for i in range(count):
        publisher.publish(order_event(order_id=f"o-{i}", **fields))


def lake() -> dict[str, list[dict[str, Any]]]:
    s3 = boto3.client("s3")
    objects = s3.list_objects_v2(Bucket="data-lake").get("Contents", [])
    return {
        o["Key"]: [
            json.loads(line) for line in s3.get_object(Bucket="data-lake", Key=o["Key"])["Body"].read().splitlines()
        ]
        for o in objects
    }


def test_each_event_becomes_one_object_under_the_day_it_occurred(analytics_env: QueueHarness) -> None:
    publish(3)
    assert analytics_env.deliver(handler.lambda_handler).failed_ids == []
    objects = lake()
    assert len(objects) == 3
    assert all(key.startswith("events/dt=2026-11-29/") and key.endswith(".json") for key in objects)
    lines = [line for found in objects.values() for line in found]
    assert sorted(line["event_id"] for line in lines) == ["o-0/order.created", "o-1/order.created", "o-2/order.created"]
    assert {line["event_type"] for line in lines} == {"order.created"}
    assert lines[0]["attributes"]["amount"] == "120.50"
    assert analytics_env.depth() == 0


def test_the_same_event_published_again_is_in_the_lake_once(analytics_env: QueueHarness) -> None:
    """A republish (a new SNS message id) and an SNS redelivery, in other batches: one object still."""
    publish(2)
    analytics_env.deliver(handler.lambda_handler, batch_size=1)
    publish(2)
    analytics_env.drain(handler.lambda_handler, batch_size=3)
    objects = lake()
    assert sorted(line["event_id"] for found in objects.values() for line in found) == [
        "o-0/order.created",
        "o-1/order.created",
    ]


def test_poison_records_are_dead_lettered_and_left_out(analytics_env: QueueHarness) -> None:
    publish(2)
    analytics_env.sqs.send_message(QueueUrl=analytics_env.queue_url, MessageBody="garbage")
    assert analytics_env.deliver(handler.lambda_handler).failed_ids == []
    assert len(lake()) == 2
    (dead,) = analytics_env.dead_letters()
    assert dead["Body"] == "garbage"
    assert "body is not JSON" in dead["MessageAttributes"]["failure_reason"]["StringValue"]


def test_a_failed_write_retries_that_event_only_and_writes_it_once(analytics_env: QueueHarness) -> None:
    fail_calls(handler.runtime().service._s3, "PutObject", times=1, code="SlowDown")
    publish(3)
    first = analytics_env.deliver(handler.lambda_handler)
    assert len(first.failed_ids) == 1
    assert len(lake()) == 2
    analytics_env.let_time_pass()
    analytics_env.drain(handler.lambda_handler)
    assert len(lake()) == 3
    assert analytics_env.dead_letters() == []
