"""bench.sqs_requests: the requests each consumer makes, counted as ``make bench`` counts them, on a few messages."""

from __future__ import annotations

import pytest

from bench import sqs_requests


def test_the_worker_deletes_in_batches_and_asks_for_fewer_requests_than_the_chapters_loop() -> None:
    figures = sqs_requests.measure(50, ("seed-as-printed", "queue-worker"))
    printed, worker = figures["seed-as-printed"], figures["queue-worker"]
    # The chapter's loop: 5 receives of 10 and the empty one that ends it, then one DeleteMessage per message.
    assert printed["by_operation"] == {"ReceiveMessage": 6, "DeleteMessage": 50}
    assert printed["empty_receives"] == 1
    # The worker: the queue's ARN once, a receive and one DeleteMessageBatch per 10, the empty receives of its
    # idle tail; no heartbeat within seconds of a 30 s visibility, nothing deleted one by one.
    operations = worker["by_operation"]
    assert set(operations) == {"GetQueueAttributes", "ReceiveMessage", "DeleteMessageBatch"}
    assert (operations["GetQueueAttributes"], operations["DeleteMessageBatch"]) == (1, 5)
    assert operations["ReceiveMessage"] - worker["empty_receives"] == 5
    assert worker["processed_twice"] == 0
    assert worker["requests_per_1000"] / printed["requests_per_1000"] < 1


def test_the_slow_share_is_extended_by_the_heartbeat_and_processed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sqs_requests, "SLOW_SECONDS", 1.5)  # past a beat (1 s) of the 2 s visibility: extended
    worker = sqs_requests.measure(20, ("queue-worker, 5% slow",))["queue-worker, 5% slow"]
    assert worker["slow_messages"] == 1
    assert worker["by_operation"]["ChangeMessageVisibilityBatch"] >= 1
    assert worker["heartbeat_extensions"] >= 1
    assert worker["processed_twice"] == 0
    assert "DeleteMessage" not in worker["by_operation"]


def test_the_source_sends_what_it_was_asked_for_in_waves_of_ten() -> None:
    from moto import mock_aws

    with mock_aws():
        sqs, calls = sqs_requests._counting_client()
        queue = sqs.create_queue(QueueName="waves")["QueueUrl"]
        source = sqs_requests.Source(queue, total=25)
        for processed in (0, 0, 10, 20, 25):
            source.top_up(processed)
        assert source.sent == 25
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
        assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "25"
        # The source's own client is not counted: only the test's two requests are.
        assert sum(calls.values()) == 2
