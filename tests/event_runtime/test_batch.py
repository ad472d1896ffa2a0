"""event_runtime.batch: a consumer's batch on Powertools' processors, against moto's SQS.

A standard queue reports each failed record alone; a FIFO queue holds back the rest of a failed record's
group in the batch (untried) and lets the other groups go on; neither raises when every record fails.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, SqsFifoPartialProcessor
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from event_runtime.batch import BatchConsumer, batch_processor, process_batch
from event_runtime.errors import TransientError
from tests.event_runtime.conftest import queue_pair, settings_of
from tests.orders_functions.sqs_harness import QueueHarness

LOGGER = Logger(service="tests", level="CRITICAL")


class Work:
    """The consumer's own code: records what it tried; a body starting with "fail" fails (transiently)."""

    def __init__(self) -> None:
        self.tried: list[str] = []

    def __call__(self, record: SQSRecord) -> str:
        self.tried.append(record.body)
        if record.body.startswith("fail"):
            raise TransientError(f"{record.body} could not be done yet")
        return record.body


def send(harness: QueueHarness, body: str, group: str | None = None) -> str:
    extra = {"MessageGroupId": group, "MessageDeduplicationId": body} if group else {}
    return str(harness.sqs.send_message(QueueUrl=harness.queue_url, MessageBody=body, **extra)["MessageId"])


def test_a_standard_queue_reports_each_failed_record_alone(aws: None) -> None:
    harness, work = queue_pair(), Work()
    ids = {body: send(harness, body) for body in ("a", "fail-b", "c")}
    consumer = BatchConsumer(work, logger=LOGGER, settings=settings_of(harness), sqs_client=harness.sqs)
    delivery = harness.deliver(consumer)
    assert sorted(work.tried) == ["a", "c", "fail-b"]
    assert delivery.failed_ids == [ids["fail-b"]]
    assert harness.depth() == 1  # the others were deleted; the failed one waits out its backoff
    assert harness.dead_letters() == []


def test_a_fifo_queue_holds_back_the_rest_of_a_failed_records_group_untried_and_other_groups_go_on(aws: None) -> None:
    harness, work = queue_pair(fifo=True), Work()
    ids = {
        body: send(harness, body, group)
        for body, group in (("a1", "a"), ("b1", "b"), ("fail-a2", "a"), ("b2", "b"), ("a3", "a"))
    }
    consumer = BatchConsumer(work, logger=LOGGER, settings=settings_of(harness), sqs_client=harness.sqs)
    delivery = harness.deliver(consumer)
    assert "a3" not in work.tried  # it must not overtake a2
    assert [body for body in work.tried if body.startswith("b")] == ["b1", "b2"]
    assert set(delivery.failed_ids) == {ids["fail-a2"], ids["a3"]}


def test_a_batch_whose_every_record_fails_is_reported_record_by_record_not_raised(aws: None) -> None:
    for fifo in (False, True):
        harness, work = queue_pair(f"all-fail-{fifo}".lower(), fifo=fifo), Work()
        sent = [send(harness, f"fail-{i}", "g" if fifo else None) for i in range(3)]
        consumer = BatchConsumer(work, logger=LOGGER, settings=settings_of(harness), sqs_client=harness.sqs)
        response = consumer(
            harness.event(
                harness.sqs.receive_message(
                    QueueUrl=harness.queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
                )["Messages"]
            ),
            None,
        )
        assert sorted(str(item["itemIdentifier"]) for item in response["batchItemFailures"]) == sorted(sent)


def test_the_processor_keeps_a_groups_order_only_where_there_are_groups() -> None:
    fifo, standard = batch_processor(fifo=True), batch_processor(fifo=False)
    assert isinstance(fifo, SqsFifoPartialProcessor)
    assert isinstance(standard, BatchProcessor) and not isinstance(standard, SqsFifoPartialProcessor)
    assert fifo.raise_on_entire_batch_failure is False
    assert standard.raise_on_entire_batch_failure is False


def test_process_batch_reports_what_the_record_handler_raised_for(aws: None) -> None:
    harness = queue_pair()
    ids = {body: send(harness, body) for body in ("ok", "boom")}

    def handle(record: SQSRecord) -> Any:
        if record.body == "boom":
            raise RuntimeError("boom")
        return record.body

    messages = harness.sqs.receive_message(QueueUrl=harness.queue_url, MaxNumberOfMessages=10)["Messages"]
    response = process_batch(harness.event(messages), None, handle, fifo=False)
    assert response == {"batchItemFailures": [{"itemIdentifier": ids["boom"]}]}


def test_the_settings_are_read_from_the_environment_on_first_use(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A handler module builds its consumer at import, before Lambda (or a test) has set anything."""
    consumer = BatchConsumer(Work(), logger=LOGGER, sqs_client=boto3.client("sqs"))
    harness = queue_pair()
    for name, value in settings_of(harness, max_attempts=4).to_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ATTEMPTS_TABLE", raising=False)
    send(harness, "a")
    assert harness.deliver(consumer).failed_ids == []
    assert consumer.settings.max_attempts == 4
    assert consumer.policy.queue_url == harness.queue_url


def test_already_done_reaches_the_failure_policy(aws: None) -> None:
    harness = queue_pair()

    def done(record: SQSRecord) -> bool:
        return True

    consumer = BatchConsumer(
        Work(), logger=LOGGER, settings=settings_of(harness), already_done=done, sqs_client=harness.sqs
    )
    assert consumer.policy.already_done is done
