"""common.producer: attributes, delays, FIFO ids, batches chunked, batch failures retried and never dropped."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from orders_functions.common.producer import BatchSendError, MessageProducer, OutgoingMessage


def test_send_adds_event_type_and_epoch_ms_timestamp(aws: None) -> None:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    MessageProducer(url, sqs_client=sqs, clock_ms=lambda: 1_700_000_000_123).send(
        {"order_id": "o-1"}, event_type="order.created", attributes={"correlation_id": "c-9"}
    )
    (message,) = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert json.loads(message["Body"]) == {"order_id": "o-1"}
    assert message["MessageAttributes"] == {
        "event_type": {"DataType": "String", "StringValue": "order.created"},
        "timestamp": {"DataType": "Number", "StringValue": "1700000000123"},
        "correlation_id": {"DataType": "String", "StringValue": "c-9"},
    }


class RecordingClient:
    """Answers like SQS; fails the entries named in ``fail`` (by body) a number of times."""

    def __init__(self, fail: dict[str, tuple[int, bool]] | None = None) -> None:
        self.fail = dict(fail or {})
        self.calls: list[dict[str, Any]] = []

    def send_message(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        return {"MessageId": "m-1"}

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.calls.append({"QueueUrl": QueueUrl, "Entries": Entries})
        ok, failed = [], []
        for entry in Entries:
            times, sender_fault = self.fail.get(entry["MessageBody"], (0, False))
            if times:
                self.fail[entry["MessageBody"]] = (times - 1, sender_fault)
                failed.append(
                    {
                        "Id": entry["Id"],
                        "Code": "InternalError",
                        "Message": "boom",
                        "SenderFault": sender_fault,
                    }
                )
            else:
                ok.append({"Id": entry["Id"], "MessageId": f"id-{entry['MessageBody']}"})
        return {"Successful": ok, "Failed": failed}


def test_a_resend_to_a_standard_queue_is_delayed() -> None:
    client = RecordingClient()
    MessageProducer("https://sqs/q", sqs_client=client).send("x", event_type="t", retry=2)
    assert client.calls[0]["DelaySeconds"] == 40


def test_fifo_sends_carry_group_and_deduplication_ids_and_no_delay() -> None:
    client = RecordingClient()
    MessageProducer("https://sqs/balance-updates.fifo", sqs_client=client).send_fifo(
        {"account_id": "a"}, event_type="balance.updated", group_id="a", deduplication_id="t-1"
    )
    (call,) = client.calls
    assert (call["MessageGroupId"], call["MessageDeduplicationId"]) == ("a", "t-1")
    assert "DelaySeconds" not in call


def test_a_fifo_batch_without_ids_is_refused_before_sending() -> None:
    client = RecordingClient()
    producer = MessageProducer("https://sqs/q.fifo", sqs_client=client)
    with pytest.raises(ValueError, match="group_id and deduplication_id"):
        producer.send_batch([OutgoingMessage(body="x", event_type="t")])
    assert client.calls == []


def test_batches_are_chunked_to_ten_and_to_256_kib() -> None:
    client = RecordingClient()
    producer = MessageProducer("https://sqs/q", sqs_client=client)
    producer.send_batch([OutgoingMessage(body=str(i), event_type="t") for i in range(23)])
    assert [len(call["Entries"]) for call in client.calls] == [10, 10, 3]

    client.calls.clear()
    big = "x" * (100 * 1024)
    producer.send_batch([OutgoingMessage(body=big + str(i), event_type="t") for i in range(5)])
    assert [len(call["Entries"]) for call in client.calls] == [2, 2, 1]


def test_failed_entries_are_retried_until_they_succeed() -> None:
    client = RecordingClient(fail={"3": (2, False)})
    sleeps: list[float] = []
    result = MessageProducer("https://sqs/q", sqs_client=client, sleep=sleeps.append).send_batch(
        [OutgoingMessage(body=str(i), event_type="t") for i in range(5)]
    )
    assert sorted(result.message_ids) == sorted(f"id-{i}" for i in range(5))
    assert [len(call["Entries"]) for call in client.calls] == [5, 1, 1]  # only the failed entry is resent
    assert len(sleeps) == 2


def test_entries_that_keep_failing_raise_with_each_one_named() -> None:
    client = RecordingClient(fail={"1": (99, False), "2": (1, True)})
    producer = MessageProducer("https://sqs/q", sqs_client=client, sleep=lambda _: None, max_attempts=3)
    with pytest.raises(BatchSendError) as raised:
        producer.send_batch([OutgoingMessage(body=str(i), event_type="t") for i in range(4)])
    failed = {entry.message.body: entry for entry in raised.value.failed}
    assert set(failed) == {"1", "2"}
    assert failed["2"].sender_fault  # a sender fault is not resent
    assert sorted(raised.value.sent.message_ids) == ["id-0", "id-3"]
    assert sum(1 for call in client.calls for e in call["Entries"] if e["MessageBody"] == "2") == 1
    assert sum(1 for call in client.calls for e in call["Entries"] if e["MessageBody"] == "1") == 3
