"""event_runtime.batch: a consumer's batch on Powertools' processors, with the failure policy around each record.

A standard queue reports each failed record alone; a FIFO queue holds back the rest of a failed record's group in
the batch (untried) and lets the other groups go on; neither raises when every record fails. Against moto's SQS.
The last cases were found by a review that tried to break the runtime half's claims (each failed before its fix).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, SqsFifoPartialProcessor
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from moto import mock_aws

from event_runtime import BatchConsumer, ConsumerSettings, PoisonMessageError, TransientError
from event_runtime.batch import batch_processor, from_fifo_queue, process_batch
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
    handler = BatchConsumer(work, logger=LOGGER, settings=settings_of(harness), sqs_client=harness.sqs)
    delivery = harness.deliver(handler)
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
    handler = BatchConsumer(work, logger=LOGGER, settings=settings_of(harness), sqs_client=harness.sqs)
    delivery = harness.deliver(handler)
    assert "a3" not in work.tried  # it must not overtake a2
    assert [body for body in work.tried if body.startswith("b")] == ["b1", "b2"]
    assert set(delivery.failed_ids) == {ids["fail-a2"], ids["a3"]}


def test_a_batch_whose_every_record_fails_is_reported_record_by_record_not_raised(aws: None) -> None:
    for fifo in (False, True):
        harness, work = queue_pair(f"all-fail-{fifo}".lower(), fifo=fifo), Work()
        sent = [send(harness, f"fail-{i}", "g" if fifo else None) for i in range(3)]
        handler = BatchConsumer(work, logger=LOGGER, settings=settings_of(harness), sqs_client=harness.sqs)
        response = handler(
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


def test_the_records_say_whether_the_batch_comes_from_a_fifo_queue(aws: None) -> None:
    standard, fifo = queue_pair("plain"), queue_pair("ordered", fifo=True)
    for harness in (standard, fifo):
        send(harness, "x", "g" if harness.queue_url.endswith(".fifo") else None)
    events = [
        h.event(h.sqs.receive_message(QueueUrl=h.queue_url, MessageSystemAttributeNames=["All"])["Messages"])
        for h in (standard, fifo)
    ]
    assert [from_fifo_queue(event) for event in events] == [False, True]
    assert from_fifo_queue({"Records": []}) is False


def test_process_batch_reports_what_the_record_handler_raised_for(aws: None) -> None:
    harness = queue_pair()
    ids = {body: send(harness, body) for body in ("ok", "boom")}

    def handle(record: SQSRecord) -> Any:
        if record.body == "boom":
            raise RuntimeError("boom")
        return record.body

    messages = harness.sqs.receive_message(QueueUrl=harness.queue_url, MaxNumberOfMessages=10)["Messages"]
    response = process_batch(harness.event(messages), None, handle)
    assert response == {"batchItemFailures": [{"itemIdentifier": ids["boom"]}]}


def test_the_settings_are_read_from_the_environment_on_first_use(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A handler module builds its consumer at import, before Lambda (or a test) has set anything."""
    handler = BatchConsumer(Work(), logger=LOGGER, sqs_client=boto3.client("sqs"))
    harness = queue_pair()
    for name, value in settings_of(harness, max_attempts=4).to_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ATTEMPTS_TABLE", raising=False)
    send(harness, "a")
    assert harness.deliver(handler).failed_ids == []
    assert handler.settings.max_attempts == 4
    assert handler.policy.queue_url == harness.queue_url


def test_already_done_reaches_the_failure_policy(aws: None) -> None:
    harness = queue_pair()

    def done(record: SQSRecord) -> bool:
        return True

    handler = BatchConsumer(
        Work(), logger=LOGGER, settings=settings_of(harness), already_done=done, sqs_client=harness.sqs
    )
    assert handler.policy.already_done is done


# --- Found by a review that tried to break the runtime half's claims -------------------------------------------


ARN = "arn:aws:sqs:us-east-1:123456789012:"


def record(message_id: str, *, receives: int | None = 1, group: str | None = None, queue: str = "jobs") -> dict:
    made: dict[str, Any] = {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": "{}",
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": ARN + queue,
    }
    if receives is not None:
        made["attributes"] = {"ApproximateReceiveCount": str(receives), **({"MessageGroupId": group} if group else {})}
    return made


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def consumer(sqs: Any, process: Any, *, attempts_table: str | None = None) -> tuple[BatchConsumer, str]:
    queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    dlq = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
    settings = ConsumerSettings(
        queue_url=queue, dead_letter_queue_url=dlq, max_attempts=8, max_receive_count=40, attempts_table=attempts_table
    )
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    logger = Logger(level="CRITICAL")
    return BatchConsumer(process, logger=logger, settings=settings, sqs_client=sqs, dynamodb_client=dynamodb), dlq


def test_a_fifo_batch_keeps_each_groups_order_whatever_the_functions_environment_names(sqs: Any) -> None:
    """FIFO was judged by QUEUE_URL: records of a FIFO queue under another queue's settings ran out of order."""
    tried = []

    def process(message: Any) -> None:
        tried.append(message.message_id)
        if message.message_id == "a1":
            raise TransientError("later")

    handler, _ = consumer(sqs, process)  # its settings name the standard queue "jobs"
    batch = {"Records": [record(m, group=m[0].upper(), queue="orders.fifo") for m in ("a1", "b1", "a2")]}
    response = handler(batch, None)
    assert tried == ["a1", "b1"]  # a2 waits behind a1, its group's head; group B goes on
    assert response == {"batchItemFailures": [{"itemIdentifier": "a1"}, {"itemIdentifier": "a2"}]}


def test_a_record_without_attributes_still_reaches_the_dlq_with_its_reason(sqs: Any) -> None:
    def process(message: Any) -> None:
        raise PoisonMessageError("bad")

    handler, dlq = consumer(sqs, process)
    assert handler({"Records": [record("p", receives=None)]}, None) == {"batchItemFailures": []}
    (dead,) = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    assert dead["MessageAttributes"]["failure_reason"]["StringValue"] == "poison message: bad"


def test_the_backoff_still_grows_when_the_attempts_table_cannot_be_reached(sqs: Any) -> None:
    """DynamoDB throttled means the attempts table too: every retry was 'attempt 1' and came back in 10 s."""
    delays: list[int] = []
    sqs.meta.events.register(
        "before-parameter-build.sqs.ChangeMessageVisibility",
        lambda params, **_: delays.append(params["VisibilityTimeout"]),
    )

    def process(message: Any) -> None:
        raise TransientError("ProvisionedThroughputExceededException")

    handler, _ = consumer(sqs, process, attempts_table="no-such-table")
    for receives in (1, 2, 3, 4):
        handler({"Records": [record("m", receives=receives)]}, None)
    assert delays == [10, 20, 40, 80]
