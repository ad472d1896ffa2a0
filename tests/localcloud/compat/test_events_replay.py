"""localcloud.compat.events_replay: a replay sends only its time window.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from localcloud.compat import (
    events_replay,
    installed,
)

pytestmark = pytest.mark.usefixtures("aws")


def _archive_and_log_queue() -> tuple[str, str, str]:
    events, sqs = boto3.client("events"), boto3.client("sqs")
    bus = events.create_event_bus(Name="orders")["EventBusArn"]
    archive = events.create_archive(ArchiveName="all", EventSourceArn=bus)["ArchiveArn"]
    queue = sqs.create_queue(QueueName="seen")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName="orders", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="all", EventBusName="orders", Targets=[{"Id": "q", "Arn": queue_arn}])
    old = datetime.now(UTC) - timedelta(hours=2)
    events.put_events(
        Entries=[{"Source": "shop", "DetailType": "Old", "Detail": "{}", "EventBusName": "orders", "Time": old}]
    )
    events.put_events(Entries=[{"Source": "shop", "DetailType": "New", "Detail": "{}", "EventBusName": "orders"}])
    for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]:
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return bus, archive, queue


def _replay_last_hour(bus: str, archive: str, queue: str) -> list[str]:
    now = datetime.now(UTC)
    boto3.client("events").start_replay(
        ReplayName="r",
        EventSourceArn=archive,
        EventStartTime=now - timedelta(hours=1),
        EventEndTime=now + timedelta(minutes=1),
        Destination={"Arn": bus},
    )
    messages = boto3.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(json.loads(m["Body"])["detail-type"] for m in messages)


def test_moto_still_replays_events_outside_the_window() -> None:
    assert _replay_last_hour(*_archive_and_log_queue()) == ["New", "Old"]


def test_replay_sends_only_the_window() -> None:
    with installed(events_replay):
        assert _replay_last_hour(*_archive_and_log_queue()) == ["New"]
