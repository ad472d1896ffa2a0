"""event_runtime.dead_letter: a message given up on reaches its DLQ with the reason, in the room the DLQ keeps."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from event_constructs.event_queue import DEAD_LETTER_HEADROOM_BYTES
from event_runtime.dead_letter import (
    FAILURE_ATTRIBUTES_MAX_BYTES,
    MAX_REASON_BYTES,
    SQS_MAX_MESSAGE_ATTRIBUTES,
    dead_letter,
    failure_attributes,
)
from localcloud.compat.sqs_event_source import lambda_record
from tests.event_runtime.conftest import dead_letter_attributes, queue_pair, record
from tests.orders_functions.faults import fail_calls
from tests.orders_functions.sqs_harness import sqs_size


def test_the_copy_is_the_body_with_the_reason_and_where_it_came_from(aws: None) -> None:
    harness = queue_pair()
    dead = record('{"job": 1}', message_id="m-7", receives=3, attributes={"correlation_id": "c-1"})
    message_id = dead_letter(harness.sqs, harness.dead_letter_queue_url, dead, "poison message: no size", "poison")
    (message,) = harness.dead_letters()
    assert message["MessageId"] == message_id
    assert message["Body"] == '{"job": 1}'
    assert dead_letter_attributes(message) == {
        "failure_reason": "poison message: no size",
        "failure_kind": "poison",
        "source_queue_arn": "arn:aws:sqs:us-east-1:123456789012:jobs",
        "original_message_id": "m-7",
        "receive_count": "3",
        "correlation_id": "c-1",  # the original attributes are kept
    }


def test_a_fifo_dlq_keeps_the_message_group_and_deduplicates_on_the_message_id(aws: None) -> None:
    harness = queue_pair(fifo=True)
    for _ in range(2):  # the same record dead-lettered twice (a retried invocation): one copy
        dead_letter(
            harness.sqs,
            harness.dead_letter_queue_url,
            record(message_id="m-1", group="acct-1"),
            "gave up after 3 attempts",
            "exhausted",
            attempts=3,
        )
    (message,) = harness.dead_letters()
    assert message["Attributes"]["MessageGroupId"] == "acct-1"
    assert message["Attributes"]["MessageDeduplicationId"] == "m-1"
    assert dead_letter_attributes(message)["attempts"] == "3"


def test_what_sqs_refuses_is_raised_so_the_record_stays_on_its_queue(aws: None) -> None:
    harness = queue_pair()
    fail_calls(harness.sqs, "SendMessage", times=1, code="ServiceUnavailable")
    with pytest.raises(ClientError, match="ServiceUnavailable"):
        dead_letter(harness.sqs, harness.dead_letter_queue_url, record(), "poison message: x", "poison")
    assert harness.dead_letters() == []


def test_the_failure_attributes_come_first_and_the_originals_fill_what_is_left_of_ten() -> None:
    originals = {f"a{i:02}": str(i) for i in range(12)} | {"failure_kind": "forged"}
    attributes = failure_attributes(record(attributes=originals), "why", "poison", attempts=2)
    assert len(attributes) == SQS_MAX_MESSAGE_ATTRIBUTES
    assert list(attributes)[:6] == [
        "failure_reason",
        "failure_kind",
        "source_queue_arn",
        "original_message_id",
        "receive_count",
        "attempts",
    ]
    assert attributes["failure_kind"]["StringValue"] == "poison"  # an original never replaces a failure attribute
    assert list(attributes)[6:] == ["a00", "a01", "a02", "a03"]


def test_a_reason_is_cut_at_a_character_boundary_and_what_sqs_cannot_carry_is_escaped() -> None:
    long_reason = "é" * MAX_REASON_BYTES  # two bytes each: cut to half as many characters
    reason = failure_attributes(record(), long_reason, "poison")["failure_reason"]["StringValue"]
    assert reason == "é" * (MAX_REASON_BYTES // 2)
    assert failure_attributes(record(), "field \ufffe", "poison")["failure_reason"]["StringValue"] == "field \\ufffe"
    assert failure_attributes(record(), "", "poison")["failure_reason"]["StringValue"] == "unknown"


# --- Found by trying to break the claims (a reviewer's tests, kept) ----------------------------------


def test_the_failure_attributes_fit_in_the_room_the_dlq_keeps_for_them() -> None:
    assert FAILURE_ATTRIBUTES_MAX_BYTES <= DEAD_LETTER_HEADROOM_BYTES
    message = {
        "MessageId": "m" * 100,
        "ReceiptHandle": "r",
        "Body": "x",
        "Attributes": {"ApproximateReceiveCount": "9999"},
    }
    longest = SQSRecord(lambda_record(message, "arn:aws:sqs:us-east-1:123456789012:" + "q" * 80))

    @given(reason=st.text(min_size=0, max_size=3000), kind=st.sampled_from(["poison", "exhausted"]))
    def fits(reason: str, kind: str) -> None:
        added = failure_attributes(longest, reason, kind, attempts=99999)
        assert sqs_size("", added) <= FAILURE_ATTRIBUTES_MAX_BYTES

    fits()
