"""localcloud.compat.sqs_fifo_deduplication: a deduplication id is remembered after deletion, per message group
where asked.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import boto3
import pytest

from localcloud.compat import (
    installed,
    sqs_fifo_deduplication,
)

pytestmark = pytest.mark.usefixtures("aws")


def _fifo(scope: str = "queue") -> str:
    return boto3.client("sqs").create_queue(
        QueueName=f"q-{scope}.fifo", Attributes={"FifoQueue": "true", "DeduplicationScope": scope}
    )["QueueUrl"]


def _send_receive_delete(url: str, dedup: str, group: str = "g") -> int:
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId=group, MessageDeduplicationId=dedup)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return len(messages)


def test_moto_still_forgets_a_deduplication_id_once_its_message_is_deleted() -> None:
    url = _fifo()
    assert [_send_receive_delete(url, "d-1"), _send_receive_delete(url, "d-1")] == [1, 1]


def test_a_deduplication_id_is_remembered_for_five_minutes_after_deletion() -> None:
    with installed(sqs_fifo_deduplication):
        url = _fifo()
        assert [_send_receive_delete(url, "d-1"), _send_receive_delete(url, "d-1")] == [1, 0]


def test_moto_still_deduplicates_across_message_groups() -> None:
    sqs = boto3.client("sqs")
    url = _fifo("messageGroup")
    for group in ("a", "b"):
        sqs.send_message(QueueUrl=url, MessageBody=group, MessageGroupId=group, MessageDeduplicationId="same")
    assert len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 1


def test_message_group_scope_deduplicates_within_a_group_only() -> None:
    with installed(sqs_fifo_deduplication):
        sqs = boto3.client("sqs")
        url = _fifo("messageGroup")
        for group in ("a", "b", "a"):
            sqs.send_message(QueueUrl=url, MessageBody=group, MessageGroupId=group, MessageDeduplicationId="same")
        bodies = sorted(m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"])
    assert bodies == ["a", "b"]
