"""common.order_event_consumer: what the consumers of order events apply, and what they acknowledge without
applying (an event type they do not handle, an internal event): through the notification handler against moto,
then on its own."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from orders_functions.common.events import OrderEvent
from orders_functions.common.order_event_consumer import OrderEventProcessor
from orders_functions.notification import handler
from tests.orders_functions.events import order_event, send_raw
from tests.orders_functions.notification.helpers import notifications
from tests.orders_functions.sqs_harness import QueueHarness

# --- Tolerant reader (issue 15) ----------------------------------------------------------------------


def test_internal_events_are_refused_whatever_the_filter_let_through(notification_env: QueueHarness) -> None:
    """The filter excludes the ``internal`` attribute; an internal update published without it reached the
    consumer and was notified to the customer. The consumer itself refuses it, by body or by attribute."""
    by_body = order_event("order.updated", order_id="o-1", amount=None, internal=True, note="margin too low")
    notification_env.sqs.send_message(  # no attributes at all: the filter could not have stopped it
        QueueUrl=notification_env.queue_url, MessageBody=by_body.model_dump_json(exclude_none=True)
    )
    by_attribute = order_event("order.updated", order_id="o-2", amount=None, note="stock count")
    notification_env.sqs.send_message(
        QueueUrl=notification_env.queue_url,
        MessageBody=by_attribute.model_dump_json(exclude_none=True),
        MessageAttributes={"internal": {"DataType": "String", "StringValue": "true"}},
    )
    assert notification_env.deliver(handler.lambda_handler).failed_ids == []
    assert notifications() == {}
    assert notification_env.dead_letters() == [] and notification_env.depth() == 0


def test_an_event_type_notification_does_not_handle_is_acknowledged(notification_env: QueueHarness) -> None:
    """``order.shipped`` passes the ``prefix "order."`` filter; it was dead-lettered as poison."""
    body = {**json.loads(order_event().model_dump_json(exclude_none=True)), "event_type": "order.shipped"}
    send_raw(notification_env.sqs, notification_env.queue_url, json.dumps(body))
    assert notification_env.deliver(handler.lambda_handler).failed_ids == []
    assert notifications() == {}
    assert notification_env.dead_letters() == []


@pytest.mark.parametrize("value", ["True", "TRUE", "1", "false"])
def test_an_event_with_an_internal_attribute_of_any_value_is_not_notified(
    notification_env: QueueHarness, value: str
) -> None:
    """Found by trying to break the claims: only the exact value "true" counted, so a producer spelling a boolean
    its own way ("True") had an internal note sent to the customer. The filters exclude the attribute whatever
    its value; the consumer now does the same."""
    update = order_event("order.updated", order_id="o-1", amount=None, note="margin too low: hold")
    notification_env.sqs.send_message(
        QueueUrl=notification_env.queue_url,
        MessageBody=update.model_dump_json(exclude_none=True),
        MessageAttributes={"internal": {"DataType": "String", "StringValue": value}},
    )
    notification_env.drain(handler.lambda_handler)
    assert notifications() == {}


# --- The consumer on its own: what it applies, skips and takes for done ------------------------------------------


def consumer(applied: list[OrderEvent], **options: Any) -> tuple[OrderEventProcessor, SimpleNamespace]:
    failures = SimpleNamespace(already_done=None)  # unused since the processor no longer holds the policy

    def apply(event: OrderEvent) -> dict[str, Any]:
        applied.append(event)
        return {"event_id": event.event_id, "outcome": "applied"}

    logger = Logger(service="tests", level="CRITICAL")
    return OrderEventProcessor(apply, logger, "test", **options), failures


def record_of(body: str, **attributes: str) -> SQSRecord:
    return SQSRecord(
        {
            "messageId": "m-1",
            "body": body,
            "attributes": {"SentTimestamp": "1767225600000", "ApproximateReceiveCount": "1"},
            "messageAttributes": {k: {"dataType": "String", "stringValue": v} for k, v in attributes.items()},
        }
    )


def test_an_event_is_applied_and_its_result_returned() -> None:
    applied: list[OrderEvent] = []
    process = consumer(applied)[0].process
    assert process(record_of(order_event().model_dump_json())) == {
        "event_id": "o-1/order.created",
        "outcome": "applied",
    }
    assert [event.order_id for event in applied] == ["o-1"]


def test_an_internal_event_is_skipped_only_by_a_public_only_consumer() -> None:
    applied: list[OrderEvent] = []
    internal = record_of(
        order_event("order.updated", amount=None, note="n", event_id="o-1/order.updated/u-1").model_dump_json(),
        internal="yes",
    )
    assert consumer(applied, public_only=True)[0].process(internal)["outcome"] == "internal_skipped"
    assert applied == []
    consumer(applied)[0].process(internal)
    assert len(applied) == 1


def test_what_is_settled_is_asked_of_a_record_out_of_attempts_and_an_unreadable_one_is_not_done() -> None:
    settled = {"o-1/order.created"}
    subject, _ = consumer([], settled=lambda event: event.event_id in settled)
    assert subject.already_done(record_of(order_event().model_dump_json())) is True
    assert subject.already_done(record_of(order_event(order_id="o-2").model_dump_json())) is False
    assert subject.already_done(record_of("{not json")) is False
    assert consumer([])[0].already_done(record_of(order_event().model_dump_json())) is False  # nothing settled
