"""event_runtime.failures: what FailurePolicy does with a record that failed, against moto's SQS and DynamoDB.

Poison goes to the DLQ at once with the reason; any other failure backs off through visibility; the last
attempt is dead-lettered with the last error; a record out of attempts is dead-lettered before it is tried
again (unless it is done); maxReceiveCount is never left to SQS; the DLQ unreachable leaves the record on
its queue.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from event_runtime.attempts import DynamoDBAttempts, ReceiveCountAttempts
from event_runtime.errors import PoisonMessageError
from event_runtime.failures import ENDED_WITHOUT_RESULT, AttemptsExhaustedError, FailurePolicy
from localcloud.compat.sqs_event_source import lambda_record
from tests.event_runtime.conftest import attempts_table, dead_letter_attributes, queue_pair, settings_of
from tests.orders_functions.faults import fail_calls, record_calls
from tests.orders_functions.sqs_harness import QueueHarness

LOGGER = Logger(service="tests", level="CRITICAL")


def policy(harness: QueueHarness, **settings: Any) -> FailurePolicy:
    return FailurePolicy.from_environment(harness.sqs, LOGGER, settings=settings_of(harness, **settings))


def receive(harness: QueueHarness) -> SQSRecord:
    """The next message of the work queue, as Lambda passes it (its receive count included)."""
    (message,) = harness.sqs.receive_message(
        QueueUrl=harness.queue_url, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"]
    )["Messages"]
    return SQSRecord(lambda_record(message, harness.queue_arn))


def again(harness: QueueHarness, record: SQSRecord) -> SQSRecord:
    """The record's backoff has elapsed: it is received again."""
    harness.sqs.change_message_visibility(
        QueueUrl=harness.queue_url, ReceiptHandle=record.receipt_handle, VisibilityTimeout=0
    )
    return receive(harness)


def failing(error: Exception) -> Any:
    def process(record: SQSRecord) -> Any:
        raise error

    return process


def test_a_poison_record_goes_to_the_dlq_at_once_with_the_reason(aws: None) -> None:
    harness = queue_pair()
    harness.sqs.send_message(QueueUrl=harness.queue_url, MessageBody="{not json")
    assert policy(harness).run(receive(harness), failing(PoisonMessageError("body is not JSON"))) is None
    (dead,) = harness.dead_letters()
    attributes = dead_letter_attributes(dead)
    assert (attributes["failure_kind"], attributes["failure_reason"]) == ("poison", "poison message: body is not JSON")
    assert attributes["attempts"] == "1"


def test_a_success_is_returned_and_nothing_is_settled(aws: None) -> None:
    harness = queue_pair()
    harness.sqs.send_message(QueueUrl=harness.queue_url, MessageBody="ok")
    assert policy(harness).run(receive(harness), lambda record: record.body.upper()) == "OK"
    assert harness.dead_letters() == []


def test_a_failure_backs_off_through_visibility_then_the_last_attempt_is_dead_lettered(aws: None) -> None:
    harness = queue_pair()
    consumer = policy(harness, max_attempts=3)
    visibility = record_calls(harness.sqs, "ChangeMessageVisibility")
    harness.sqs.send_message(QueueUrl=harness.queue_url, MessageBody="x")
    record = receive(harness)
    for _ in range(2):
        with pytest.raises(RuntimeError):  # raised: the batch reports the record, it stays on its queue
            consumer.run(record, failing(RuntimeError("downstream down")))
        record = again(harness, record)
    assert [call["VisibilityTimeout"] for call in visibility if call["VisibilityTimeout"]] == [10, 20]
    assert consumer.run(record, failing(RuntimeError("still down"))) is None
    (dead,) = harness.dead_letters()
    attributes = dead_letter_attributes(dead)
    assert attributes["failure_kind"] == "exhausted"
    assert attributes["failure_reason"] == "gave up after 3 attempts: RuntimeError: still down"


def test_maxreceivecount_is_never_left_to_sqs_even_when_attempts_cannot_be_counted(aws: None) -> None:
    """No attempts table (it cannot be reached): each receive is tried as attempt 1, and the receive that SQS
    would move to the DLQ without a reason is dead-lettered here, with one."""
    harness = queue_pair()
    consumer = policy(harness, max_attempts=3, max_receive_count=2, attempts_table="missing-table")
    harness.sqs.send_message(QueueUrl=harness.queue_url, MessageBody="x")
    record = receive(harness)
    with pytest.raises(RuntimeError):
        consumer.run(record, failing(RuntimeError("down")))
    assert consumer.run(again(harness, record), failing(RuntimeError("down"))) is None
    (dead,) = harness.dead_letters()
    reason = dead_letter_attributes(dead)["failure_reason"]
    assert reason == "gave up on receive 2 of at most 2 (1 counted attempts): RuntimeError: down"


def test_an_attempt_that_cannot_be_counted_is_still_tried(aws: None) -> None:
    harness = queue_pair()
    consumer = policy(harness, attempts_table=attempts_table())
    fail_calls(consumer.attempts._client, "UpdateItem", times=10)  # type: ignore[attr-defined]
    harness.sqs.send_message(QueueUrl=harness.queue_url, MessageBody="x")
    first = receive(harness)
    record = again(harness, first)  # a second receive: begin() would write
    assert consumer.run(record, lambda r: "done") == "done"


def test_a_poison_record_stays_on_its_queue_while_the_dlq_cannot_take_it(aws: None) -> None:
    harness = queue_pair()
    consumer = policy(harness, attempts_table=attempts_table())
    fail_calls(harness.sqs, "SendMessage", times=1, code="ServiceUnavailable", when=lambda p: "dlq" in p["QueueUrl"])
    harness.sqs.send_message(QueueUrl=harness.queue_url, MessageBody="x")
    record = receive(harness)
    with pytest.raises(PoisonMessageError):
        consumer.run(record, failing(PoisonMessageError("bad")))
    assert harness.dead_letters() == []
    assert consumer.run(again(harness, record), failing(PoisonMessageError("bad"))) is None
    assert dead_letter_attributes(harness.dead_letters()[0])["failure_reason"] == "poison message: bad"


def out_of_attempts(harness: QueueHarness, **policy_settings: Any) -> tuple[FailurePolicy, SQSRecord]:
    """A record whose 3 attempts all began and were killed (counted, no error left), received once more."""
    consumer = policy(harness, max_attempts=3, attempts_table=attempts_table(), **policy_settings)
    harness.sqs.send_message(QueueUrl=harness.queue_url, MessageBody="x")
    record = receive(harness)
    for _ in range(3):
        record = again(harness, record)
        consumer.attempts.begin(record)  # an attempt that began, and was killed before it ended
    return consumer, again(harness, record)


def test_a_record_out_of_attempts_is_dead_lettered_before_it_is_tried_again(aws: None) -> None:
    harness = queue_pair()
    consumer, record = out_of_attempts(harness)
    tried: list[str] = []
    assert consumer.run(record, lambda r: tried.append(r.body)) is None
    assert tried == []
    (dead,) = harness.dead_letters()
    assert dead_letter_attributes(dead)["failure_reason"] == f"gave up after 3 attempts: {ENDED_WITHOUT_RESULT}"


def test_a_record_out_of_attempts_whose_effect_is_there_is_done_not_dead_lettered(aws: None) -> None:
    harness = queue_pair()
    consumer, record = out_of_attempts(harness)
    consumer.already_done = lambda r: True
    assert consumer.run(record, failing(AssertionError("must not be tried"))) is None
    assert harness.dead_letters() == []


def test_a_record_out_of_attempts_is_dead_lettered_when_whether_it_is_done_cannot_be_told(aws: None) -> None:
    harness = queue_pair()
    consumer, record = out_of_attempts(harness)
    consumer.already_done = failing(RuntimeError("table down"))
    assert consumer.run(record, failing(AssertionError("must not be tried"))) is None
    assert len(harness.dead_letters()) == 1


def test_a_record_out_of_attempts_stays_untried_on_its_queue_while_the_dlq_cannot_take_it(aws: None) -> None:
    harness = queue_pair()
    consumer, record = out_of_attempts(harness)
    fail_calls(harness.sqs, "SendMessage", times=1, code="ServiceUnavailable")
    with pytest.raises(AttemptsExhaustedError, match="gave up after 3 attempts"):
        consumer.run(record, failing(AssertionError("must not be tried")))


def test_the_policy_counts_attempts_in_a_table_only_when_it_has_one(aws: None) -> None:
    harness = queue_pair("jobs", fifo=True)
    assert isinstance(policy(harness).attempts, ReceiveCountAttempts)
    counted = FailurePolicy.from_environment(
        harness.sqs, LOGGER, boto3.client("dynamodb"), settings=settings_of(harness, attempts_table="attempts")
    )
    assert isinstance(counted.attempts, DynamoDBAttempts)
    assert counted.max_receive_count == 10
