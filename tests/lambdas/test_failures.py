"""FailurePolicy against moto: attempts counted apart from receives, and the backstop never left to SQS."""

from __future__ import annotations

import json

from orders_functions.notification import handler
from stacks.processing_stack import MAX_ATTEMPTS, STANDARD_MAX_RECEIVE_COUNT
from tests.lambdas.events import order_event, send_raw
from tests.lambdas.faults import fail_calls
from tests.lambdas.sqs_harness import QueueHarness


def attempts_table_down(env: QueueHarness) -> list[dict]:
    """Every call to the attempts table fails (it is throttled, or unreachable)."""
    client = handler.runtime().failures.attempts._client  # type: ignore[attr-defined]
    return fail_calls(client, "UpdateItem", times=10**6, code="ProvisionedThroughputExceededException")


def test_a_record_is_still_tried_when_its_attempt_cannot_be_counted(notification_env: QueueHarness) -> None:
    send_raw(notification_env.sqs, notification_env.queue_url, order_event(order_id="o-1"))
    notification_env.deliver(handler.lambda_handler)  # the first receive writes nothing
    # The record failed once (its table throttled), and comes back when the attempts table is down too.
    fail_calls(handler.runtime().service._table.meta.client, "PutItem", times=1)
    send_raw(notification_env.sqs, notification_env.queue_url, order_event(order_id="o-2"))
    notification_env.deliver(handler.lambda_handler)
    attempts_table_down(notification_env)
    notification_env.let_time_pass()
    notification_env.drain(handler.lambda_handler)
    assert notification_env.depth() == 0
    assert notification_env.dead_letters() == []


def test_found_by_the_histories_a_record_failing_while_attempts_cannot_be_counted_is_dead_lettered_with_a_reason(
    notification_env: QueueHarness,
) -> None:
    """The attempts table and the notifications table were both down for more receives than maxReceiveCount:
    the record was never counted, and SQS moved it to the DLQ itself, without a reason."""
    attempts_table_down(notification_env)
    fail_calls(handler.runtime().service._table.meta.client, "PutItem", times=10**6)
    send_raw(notification_env.sqs, notification_env.queue_url, order_event(order_id="o-down"))
    deliveries = notification_env.drain(handler.lambda_handler, rounds=STANDARD_MAX_RECEIVE_COUNT + 5)
    (dead,) = notification_env.dead_letters()
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["failure_kind"] == "exhausted"
    assert (
        f"receive {STANDARD_MAX_RECEIVE_COUNT} of at most {STANDARD_MAX_RECEIVE_COUNT}" in attributes["failure_reason"]
    )
    assert "ProvisionedThroughputExceeded" in attributes["failure_reason"]
    assert sum(1 for d in deliveries if d.message_ids) == STANDARD_MAX_RECEIVE_COUNT
    assert json.loads(dead["Body"])["order_id"] == "o-down"


def test_the_attempt_limit_comes_long_before_the_backstop(notification_env: QueueHarness) -> None:
    assert 2 * MAX_ATTEMPTS <= STANDARD_MAX_RECEIVE_COUNT


# --- Found by trying to break the claims (a reviewer's tests, kept) ----------------------------------


def sqs_size(body: str, attributes: dict[str, dict[str, str]]) -> int:
    """A message's size as SQS counts it against MaximumMessageSize: the body and every attribute's name,
    type and value (moto counts the body only)."""
    return len(body.encode()) + sum(
        len(name.encode()) + len(value["DataType"].encode()) + len(value.get("StringValue", "").encode())
        for name, value in attributes.items()
    )


def refuse_oversize_as_sqs_does(client: object) -> None:
    from botocore.exceptions import ClientError

    def refuse(params: dict, **_: object) -> None:
        limit = int(
            client.get_queue_attributes(  # type: ignore[attr-defined]
                QueueUrl=params["QueueUrl"], AttributeNames=["MaximumMessageSize"]
            )["Attributes"]["MaximumMessageSize"]
        )
        if sqs_size(params["MessageBody"], params.get("MessageAttributes") or {}) > limit:
            reason = f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
            raise ClientError({"Error": {"Code": "InvalidParameterValue", "Message": reason}}, "SendMessage")

    client.meta.events.register("before-parameter-build.sqs.SendMessage", refuse)  # type: ignore[attr-defined]


def test_a_poison_message_as_large_as_its_queue_takes_still_reaches_the_dlq_with_its_reason(
    order_env: QueueHarness,
) -> None:
    """Work queue and DLQ had the same maximum size: the DLQ copy (the body plus the failure attributes) of a
    message near the limit was refused every time, and SQS moved the message itself, without a reason."""
    from orders_functions.order_processor import handler as order_handler

    refuse_oversize_as_sqs_does(order_handler.runtime().failures.sqs_client)
    refuse_oversize_as_sqs_does(order_env.sqs)
    limit = int(
        order_env.sqs.get_queue_attributes(QueueUrl=order_env.queue_url, AttributeNames=["MaximumMessageSize"])[
            "Attributes"
        ]["MaximumMessageSize"]
    )
    skeleton = {"event_type": "order.updated", "order_id": "o-1", "update_id": "u-1", "note": ""}
    attributes = {"correlation_id": {"DataType": "String", "StringValue": "corr-1"}}
    body = json.dumps({**skeleton, "note": "x" * (limit - sqs_size(json.dumps(skeleton), attributes))})
    assert sqs_size(body, attributes) == limit  # as large as the queue takes, and poison (the note is too long)
    order_env.sqs.send_message(QueueUrl=order_env.queue_url, MessageBody=body, MessageAttributes=attributes)
    order_env.drain(order_handler.lambda_handler, rounds=STANDARD_MAX_RECEIVE_COUNT + 4)
    (dead,) = order_env.dead_letters()
    assert dead["MessageAttributes"]["failure_kind"]["StringValue"] == "poison"
    assert "note" in dead["MessageAttributes"]["failure_reason"]["StringValue"]


def test_the_failure_attributes_fit_in_the_room_the_dlq_keeps_for_them() -> None:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from hypothesis import given
    from hypothesis import strategies as st

    from event_constructs.event_queue import DEAD_LETTER_HEADROOM_BYTES
    from event_runtime.dead_letter import FAILURE_ATTRIBUTES_MAX_BYTES, failure_attributes
    from localcloud.compat.sqs_event_source import lambda_record

    assert FAILURE_ATTRIBUTES_MAX_BYTES <= DEAD_LETTER_HEADROOM_BYTES
    message = {
        "MessageId": "m" * 100,
        "ReceiptHandle": "r",
        "Body": "x",
        "Attributes": {"ApproximateReceiveCount": "9999"},
    }
    record = SQSRecord(lambda_record(message, "arn:aws:sqs:us-east-1:123456789012:" + "q" * 80))

    @given(reason=st.text(min_size=0, max_size=3000), kind=st.sampled_from(["poison", "exhausted"]))
    def fits(reason: str, kind: str) -> None:
        added = failure_attributes(record, reason, kind, attempts=99999)
        assert sqs_size("", added) <= FAILURE_ATTRIBUTES_MAX_BYTES

    fits()
