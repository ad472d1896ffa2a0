"""analytics against moto: one newline-delimited JSON object per batch, partitioned by date."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from analytics import handler

from orders_common.events import OrderEventPublisher
from tests.lambdas.events import order_event
from tests.lambdas.faults import fail_calls
from tests.lambdas.sqs_harness import QueueHarness


def publish(count: int) -> None:
    publisher = OrderEventPublisher(boto3.client("sns"), os.environ["ORDER_EVENTS_TOPIC_ARN"])
    for i in range(count):
        publisher.publish(order_event(order_id=f"o-{i}"))


def lake() -> dict[str, list[dict[str, Any]]]:
    s3 = boto3.client("s3")
    objects = s3.list_objects_v2(Bucket="data-lake").get("Contents", [])
    return {
        o["Key"]: [
            json.loads(line) for line in s3.get_object(Bucket="data-lake", Key=o["Key"])["Body"].read().splitlines()
        ]
        for o in objects
    }


def test_a_batch_becomes_one_object_partitioned_by_date(analytics_env: QueueHarness) -> None:
    publish(3)
    assert analytics_env.deliver(handler.lambda_handler).failed_ids == []
    ((key, lines),) = lake().items()
    assert key.startswith("events/dt=") and key.endswith(".ndjson")
    assert len(key.split("/")[1]) == len("dt=2026-11-29")
    assert sorted(line["event"]["order_id"] for line in lines) == ["o-0", "o-1", "o-2"]
    assert {line["event_type"] for line in lines} == {"order.created"}
    assert lines[0]["attributes"]["amount"] == "120.50"
    assert analytics_env.depth() == 0


def test_poison_records_are_dead_lettered_and_left_out(analytics_env: QueueHarness) -> None:
    publish(2)
    analytics_env.sqs.send_message(QueueUrl=analytics_env.queue_url, MessageBody="garbage")
    assert analytics_env.deliver(handler.lambda_handler).failed_ids == []
    ((_, lines),) = lake().items()
    assert len(lines) == 2
    (dead,) = analytics_env.dead_letters()
    assert dead["Body"] == "garbage"
    assert "body is not JSON" in dead["MessageAttributes"]["failure_reason"]["StringValue"]


def test_a_failed_write_retries_the_whole_batch_and_writes_it_once(analytics_env: QueueHarness) -> None:
    fail_calls(handler.runtime().lake._s3, "PutObject", times=1, code="SlowDown")
    publish(3)
    first = analytics_env.deliver(handler.lambda_handler)
    assert len(first.failed_ids) == 3
    assert lake() == {}
    analytics_env.let_time_pass()
    analytics_env.drain(handler.lambda_handler)
    ((_, lines),) = lake().items()
    assert len(lines) == 3
    assert analytics_env.dead_letters() == []
