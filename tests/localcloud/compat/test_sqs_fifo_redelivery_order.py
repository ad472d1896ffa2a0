"""localcloud.compat.sqs_fifo_redelivery_order: a FIFO group comes back from in flight in order.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import time
from unittest import mock

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs import models as sqs_models

from localcloud.compat import (
    installed,
    sqs_fifo_redelivery_order,
)

pytestmark = pytest.mark.usefixtures("aws")


def _head_and_follower_back_from_in_flight() -> list[str]:
    """A group's head fails (back in 1 s), its follower was held back (back after the 2 s timeout): who comes first?"""
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="ordered.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "2"})[
        "QueueUrl"
    ]
    for body in ("first", "second"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g", MessageDeduplicationId=body)
    head, _follower = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=head["ReceiptHandle"], VisibilityTimeout=1)
    time.sleep(2.2)
    return [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])]


def test_moto_still_lets_a_fifo_follower_overtake_its_head_when_both_come_back() -> None:
    assert _head_and_follower_back_from_in_flight() == ["second"]


def test_a_fifo_group_comes_back_from_in_flight_in_order() -> None:
    with installed(sqs_fifo_redelivery_order):
        assert _head_and_follower_back_from_in_flight() == ["first"]


@pytest.mark.parametrize("order", ["as sent", "reversed"])
def test_a_fifo_release_is_decided_at_one_instant_whatever_order_in_flight_is_kept_in(order: str) -> None:
    """Regression (found as unrepeatable generated histories): with a clock that moves at every reading,
    the head and its follower (their timeouts end 1 ms apart) were released or not by where moto's set
    of in-flight messages, ordered by memory address, put them."""
    backend = sqs_models.sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    boto3.client("sqs").create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"})
    queue = backend.get_queue("q.fifo")
    head, follower = (sqs_models.Message(str(i), f"body {i}") for i in range(2))
    head.visible_at, follower.visible_at = 1_000, 1_001
    queue._messages = [head, follower]
    queue._pending_messages = [head, follower] if order == "as sent" else [follower, head]  # an ordered "set"
    clock = iter(range(1_001, 2_000))  # each reading a millisecond later
    with mock.patch.object(sqs_models, "unix_time_millis", lambda: next(clock)):
        sqs_fifo_redelivery_order.release_timed_out(backend, "q.fifo")
    assert queue._pending_messages == [follower]  # at 1,001 ms the head is back, the follower not yet
