"""localcloud.compat.sqs_receive_cost: receiving does not recount the queue for every message.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

from unittest import mock

import boto3
import pytest

from localcloud.compat import (
    installed,
    sqs_receive_cost,
)

pytestmark = pytest.mark.usefixtures("aws")


def _attribute_computations_per_receive_of_ten() -> int:

    from moto.sqs.models import Queue

    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="backlog")["QueueUrl"]
    for start in range(0, 50, 10):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(start, start + 10)]
        )
    original = Queue.attributes
    calls = 0

    def counted(queue: Queue) -> dict[str, object]:
        nonlocal calls
        calls += 1
        return original.fget(queue)  # type: ignore[no-any-return, misc]

    with mock.patch.object(Queue, "attributes", property(counted)):
        assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 10
    return calls


def test_moto_still_recounts_the_queue_for_every_message_received() -> None:
    assert _attribute_computations_per_receive_of_ten() >= 10


def test_receiving_does_not_recount_the_queue() -> None:
    with installed(sqs_receive_cost):
        assert _attribute_computations_per_receive_of_ten() <= 1
