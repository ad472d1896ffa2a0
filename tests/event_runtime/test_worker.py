"""QueueWorker against moto: what a long-running consumer must do under slow work, failures, order and stops.

Each test runs a real worker (threads, heartbeat, long polling) against moto's SQS with short durations:
visibility 2 s and a heartbeat of 1 s, so a message that is not extended comes back within the test.
"""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import threading
import time
from collections import Counter
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from event_runtime import PoisonMessageError, QueueWorker, TransientError, WorkerSettings
from event_runtime import failures as failures_module
from event_runtime.settings import SettingsError
from event_runtime.worker import correlation_id, record_from_message
from tests.event_runtime.worker_harness import dead_letters, queues, quiet, send, settings


def visible(sqs: Any, queue: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


class Recorder:
    """A handler that records what it processed (thread-safe), failing or sleeping where told."""

    def __init__(self, sleep: dict[str, float] | None = None, fail: dict[str, list[Exception]] | None = None) -> None:
        self.lock = threading.Lock()
        self.processed: list[str] = []
        self.started: list[str] = []
        self.sleep = sleep or {}
        self.fail = {body: list(errors) for body, errors in (fail or {}).items()}

    def __call__(self, record: SQSRecord) -> str:
        body = record.body
        with self.lock:
            self.started.append(body)
        time.sleep(self.sleep.get(body, 0))
        with self.lock:
            errors = self.fail.get(body)
            if errors:
                raise errors.pop(0)
            self.processed.append(body)
        return body


def test_every_message_is_processed_once_and_deleted_in_batches(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    bodies = [f"job-{n}" for n in range(25)]
    send(sqs, queue, bodies)
    handler = Recorder()
    report = QueueWorker(handler, settings=settings(queue, dlq, concurrency=10), logger=quiet(), sqs_client=sqs).run(
        until_idle=True
    )
    assert sorted(handler.processed) == sorted(bodies)
    assert visible(sqs, queue) == 0
    assert (report.received, report.succeeded, report.dead_lettered, report.retried) == (25, 25, 0, 0)
    # Deleted a batch at a time: never one call per message.
    assert report.delete_calls <= report.receive_calls
    assert report.delete_calls < 25 / 2


def test_the_heartbeat_keeps_a_slow_message_invisible_until_it_is_done(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["slow"])
    handler = Recorder(sleep={"slow": 5.0})
    worker = QueueWorker(handler, settings=settings(queue, dlq), logger=quiet(), sqs_client=sqs)
    seen_by_another_consumer: list[str] = []

    def another_consumer() -> None:
        deadline = time.monotonic() + 5.5
        while time.monotonic() < deadline:
            for message in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages") or []:
                seen_by_another_consumer.append(message["Body"])

    time.sleep(0)  # the worker receives first
    thief = threading.Timer(0.5, another_consumer)
    thief.start()
    report = worker.run(until_idle=True)
    thief.join()
    # Visibility 2 s, work 5 s: without the heartbeat the other consumer would have had it twice.
    assert seen_by_another_consumer == []
    assert handler.processed == ["slow"]
    assert report.heartbeat_extensions >= 2
    assert visible(sqs, queue) == 0


def test_the_heartbeat_stops_extending_a_message_in_hand_too_long(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["endless"])
    first_time = threading.Event()

    def process(record: SQSRecord) -> None:
        if not first_time.is_set():
            first_time.set()
            time.sleep(4.0)  # in hand 3 s at most: then the queue gives it out again, here to the worker itself

    report = QueueWorker(
        process, settings=settings(queue, dlq, max_in_hand_seconds=3, concurrency=1), logger=quiet(), sqs_client=sqs
    ).run(until_idle=True)
    assert report.abandoned == 1
    # Visible again at 3 s: if this worker received it again meanwhile, the copy waited for the busy thread
    # and was dropped when the first attempt succeeded and deleted the message (late, with its old handle).
    assert (report.deleted_late, report.succeeded, report.received - report.dropped_copies) == (1, 0, 1)
    assert visible(sqs, queue) == 0


def test_poison_goes_to_the_dead_letter_queue_with_its_reason_and_the_rest_are_done(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["good-1", "bad", "good-2"])
    handler = Recorder(fail={"bad": [PoisonMessageError("no size")]})
    report = QueueWorker(handler, settings=settings(queue, dlq), logger=quiet(), sqs_client=sqs).run(until_idle=True)
    (dead,) = dead_letters(sqs, dlq)
    assert dead["Body"] == "bad"
    assert dead["MessageAttributes"]["failure_reason"]["StringValue"] == "poison message: no size"
    assert dead["MessageAttributes"]["source_queue_arn"]["StringValue"].endswith(":work")
    assert (report.succeeded, report.dead_lettered) == (2, 1)
    assert visible(sqs, queue) == 0


def test_a_transient_failure_is_backed_off_through_its_visibility_and_not_deleted(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["flaky"])
    handler = Recorder(fail={"flaky": [TransientError("downstream throttled")]})
    report = QueueWorker(handler, settings=settings(queue, dlq), logger=quiet(), sqs_client=sqs).run(until_idle=True)
    assert report.retried == 1
    assert (report.succeeded, report.dead_lettered) == (0, 0)
    # Backed off 10 s (the first retry delay), far beyond the queue's 2 s: still on the queue, invisible.
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert dead_letters(sqs, dlq) == []


def test_the_last_attempt_is_dead_lettered_with_the_last_error(sqs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(failures_module, "retry_delay_seconds", lambda attempt: 0)  # retry at once
    queue, dlq = queues(sqs)
    send(sqs, queue, ["doomed"])
    handler = Recorder(fail={"doomed": [RuntimeError(f"boom {n}") for n in range(1, 4)]})
    report = QueueWorker(handler, settings=settings(queue, dlq, max_attempts=3), logger=quiet(), sqs_client=sqs).run(
        until_idle=True
    )
    (dead,) = dead_letters(sqs, dlq)
    reason = dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert reason == "gave up after 3 attempts: RuntimeError: boom 3"
    assert dead["MessageAttributes"]["failure_kind"]["StringValue"] == "exhausted"
    assert (report.retried, report.dead_lettered) == (2, 1)
    assert handler.started == ["doomed"] * 3


def test_fifo_order_is_kept_per_group_through_a_failure(sqs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(failures_module, "retry_delay_seconds", lambda attempt: 0)
    queue, dlq = queues(sqs, fifo=True)
    send(sqs, queue, [f"a{n}" for n in range(6)], group="a")
    send(sqs, queue, [f"b{n}" for n in range(6)], group="b")
    handler = Recorder(fail={"a2": [TransientError("blip"), TransientError("blip")], "b4": [TransientError("blip")]})
    report = QueueWorker(handler, settings=settings(queue, dlq, concurrency=2), logger=quiet(), sqs_client=sqs).run(
        until_idle=True
    )
    assert [body for body in handler.processed if body[0] == "a"] == [f"a{n}" for n in range(6)]
    assert [body for body in handler.processed if body[0] == "b"] == [f"b{n}" for n in range(6)]
    # Nothing after a failed message of its group was even started before that message succeeded.
    for group, failed in (("a", "a2"), ("b", "b4")):
        started = [body for body in handler.started if body[0] == group]
        last_try_of_failed = started.index(failed) + Counter(handler.started)[failed] - 1
        assert last_try_of_failed < started.index(f"{group}{int(failed[1]) + 1}")
    assert report.released >= 1  # the group's later messages went back untried
    assert visible(sqs, queue) == 0


def test_sigterm_stops_receiving_finishes_the_work_in_hand_and_releases_the_rest(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, [f"job-{n}" for n in range(10)])
    handler = Recorder(sleep={f"job-{n}": 1.0 for n in range(10)})
    worker = QueueWorker(
        handler, settings=settings(queue, dlq, concurrency=2, drain_seconds=10), logger=quiet(), sqs_client=sqs
    )
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
    started = time.monotonic()
    report = worker.run()
    assert time.monotonic() - started < 5
    assert report.stopped_by == "SIGTERM"
    # The two in hand were finished and deleted; the eight waiting went back at once, untried.
    assert sorted(handler.processed) == sorted(handler.started) and len(handler.processed) == 2
    assert report.released == 8
    left = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages") or []
    assert sorted(m["Body"] for m in left) == sorted(set(f"job-{n}" for n in range(10)) - set(handler.processed))
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(signal.getsignal(signal.SIGTERM))


def test_a_stop_releases_what_outlasts_the_drain_deadline(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["long"])
    handler = Recorder(sleep={"long": 8.0})
    worker = QueueWorker(
        handler, settings=settings(queue, dlq, drain_seconds=2, concurrency=1), logger=quiet(), sqs_client=sqs
    )
    threading.Timer(0.5, worker.stop).start()
    started = time.monotonic()
    report = worker.run()
    assert time.monotonic() - started < 4  # 2 s of drain, not 8 s of work
    assert report.released == 1
    # Back on the queue at once, for another task.
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=queue).get("Messages") or []] == ["long"]


def test_a_batch_handler_reports_its_failures_which_the_policy_settles(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["ok-1", "poison", "ok-2"])
    batches: list[list[str]] = []

    def process_batch(records: list[SQSRecord]) -> dict[str, Exception]:
        batches.append([record.body for record in records])
        return {r.message_id: PoisonMessageError("not a job") for r in records if r.body == "poison"}

    report = QueueWorker(
        process_batch=process_batch, settings=settings(queue, dlq, concurrency=1), logger=quiet(), sqs_client=sqs
    ).run(until_idle=True)
    assert sorted(body for batch in batches for body in batch) == ["ok-1", "ok-2", "poison"]
    assert [m["Body"] for m in dead_letters(sqs, dlq)] == ["poison"]
    assert (report.succeeded, report.dead_lettered) == (2, 1)
    assert visible(sqs, queue) == 0


def test_a_batch_handler_that_raises_fails_the_whole_batch(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["one", "two"])

    def process_batch(records: list[SQSRecord]) -> None:
        raise TransientError("the warehouse is down")

    report = QueueWorker(
        process_batch=process_batch, settings=settings(queue, dlq, concurrency=1), logger=quiet(), sqs_client=sqs
    ).run(until_idle=True)
    assert (report.succeeded, report.retried) == (0, 2)
    assert (
        sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"][
            "ApproximateNumberOfMessagesNotVisible"
        ]
        == "2"
    )


def test_every_line_logged_while_a_message_is_worked_on_names_it_and_its_correlation_id(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    sqs.send_message(
        QueueUrl=queue,
        MessageBody="traced",
        MessageAttributes={"correlation_id": {"DataType": "String", "StringValue": "corr-42"}},
    )
    sqs.send_message(QueueUrl=queue, MessageBody="untraced")
    stream = io.StringIO()
    logger = Logger(service="worker-logging-test", stream=stream, level="INFO")  # its own service: its own handler

    def process(record: SQSRecord) -> None:
        logger.info("working", extra={"body": record.body})

    QueueWorker(process, settings=settings(queue, dlq), logger=logger, sqs_client=sqs).run(until_idle=True)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    working = {line["body"]: line for line in lines if line["message"] == "working"}
    assert working["traced"]["correlation_id"] == "corr-42"
    assert working["untraced"]["correlation_id"] == working["untraced"]["message_id"]
    # Not on the lines logged outside a message.
    assert "message_id" not in next(line for line in lines if line["message"] == "worker stopped")


def test_the_worker_takes_exactly_one_kind_of_handler() -> None:
    with pytest.raises(TypeError, match="one handler"):
        QueueWorker(logger=quiet())
    with pytest.raises(TypeError, match="one handler"):
        QueueWorker(lambda record: None, process_batch=lambda records: None, logger=quiet())


def test_settings_are_read_from_the_environment_and_refused_together(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in WorkerSettings.variables().values():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QUEUE_URL", "https://q")
    worker = QueueWorker(lambda record: None, logger=quiet())
    with pytest.raises(SettingsError, match=r"DEAD_LETTER_QUEUE_URL is missing.*CONCURRENCY is missing"):
        worker.run()


def test_a_received_message_becomes_the_record_a_lambda_consumer_gets() -> None:
    record = record_from_message(
        {
            "MessageId": "m-1",
            "ReceiptHandle": "r-1",
            "Body": "hello",
            "Attributes": {"ApproximateReceiveCount": "3", "SentTimestamp": "1700000000000"},
            "MessageAttributes": {
                "correlation_id": {"DataType": "String", "StringValue": "c-1"},
                "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
            },
        },
        "arn:aws:sqs:us-east-1:111122223333:work",
        "us-east-1",
    )
    assert (record.message_id, record.receipt_handle, record.body) == ("m-1", "r-1", "hello")
    assert record.attributes.approximate_receive_count == "3"
    assert record.message_attributes["blob"].binary_value == base64.b64encode(b"\x00\x01").decode()
    assert correlation_id(record) == "c-1"
    assert record.aws_region == "us-east-1"


CRASHING_WORKER = """
import os, sys, time
from aws_lambda_powertools import Logger
from event_runtime import QueueWorker

def process(record):
    with open(os.environ["PROCESSED_LOG"], "a") as log:
        log.write(record.body + "\\n")
    time.sleep(0.2)

QueueWorker(process, logger=Logger(service="crashing-worker", level="CRITICAL")).run()
"""


def test_a_worker_killed_mid_batch_loses_nothing(tmp_path: Any) -> None:
    """SIGKILL (no drain, no release): what was not deleted comes back after its visibility, to the next worker."""
    import socket
    import subprocess
    import sys

    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
        queue, dlq = queues(sqs)
        bodies = [f"job-{n}" for n in range(30)]
        for start in range(0, 30, 10):
            entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(bodies[start : start + 10])]
            sqs.send_message_batch(QueueUrl=queue, Entries=entries)
        processed_log = tmp_path / "processed.log"
        environment = {
            **os.environ,
            **settings(queue, dlq, concurrency=2).to_environment(),
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "PROCESSED_LOG": str(processed_log),
        }
        crashing = subprocess.Popen([sys.executable, "-c", CRASHING_WORKER], env=environment)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            not processed_log.exists() or len(processed_log.read_text().split()) < 5
        ):
            time.sleep(0.05)
        crashing.kill()
        crashing.wait()
        first = processed_log.read_text().split()
        assert 5 <= len(first) < 30  # killed mid-way, with messages in hand
        time.sleep(2.2)  # the queue's visibility: what the killed worker held is visible again
        handler = Recorder()
        report = QueueWorker(handler, settings=settings(queue, dlq), logger=quiet(), sqs_client=sqs).run(
            until_idle=True
        )
        # Every message was processed by one worker or the other (some by both: at least once, not lost).
        assert set(first) | set(handler.processed) == set(bodies)
        assert report.received >= 30 - len(first)
        assert visible(sqs, queue) == 0
        assert dead_letters(sqs, dlq) == []
    finally:
        server.stop()
