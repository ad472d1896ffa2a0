"""common.events: reading an order event as it arrives (raw or in the SNS envelope), deriving what a producer
may leave out, refusing what no reader can use: through the notification handler against moto, then on records
built here."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from orders_functions.common.events import NotHandledHere, message_attributes, parse_order_event, unwrap
from orders_functions.notification import handler
from tests.orders_functions.events import order_event, send_raw
from tests.orders_functions.notification.helpers import notifications
from tests.orders_functions.sqs_harness import QueueHarness


def test_an_event_without_id_time_or_correlation_gets_them_derived_and_is_notified_once(
    notification_env: QueueHarness,
) -> None:
    """The shape a producer publishing straight to the topic sends (event_type, order_id, amount): it was
    dead-lettered because event_id, occurred_at and correlation_id were missing."""
    bare = {"event_type": "order.created", "order_id": "o-9", "customer_id": "c-1", "amount": 120.5}
    for _ in range(2):  # and SNS delivers it twice
        notification_env.sqs.send_message(
            QueueUrl=notification_env.queue_url,
            MessageBody=json.dumps(bare),
            MessageAttributes={"event_type": {"DataType": "String", "StringValue": "order.created"}},
        )
    notification_env.drain(handler.lambda_handler)
    (record,) = notifications().values()
    assert record["notification_id"] == "o-9/order.created"  # the deterministic id: the same on every delivery
    assert record["message"] == "We received your order o-9 for 120.50 USD."
    assert record["correlation_id"]  # the message id, as no correlation id was given
    assert notification_env.dead_letters() == []


def test_an_update_without_event_id_or_update_id_is_poison_naming_update_id(notification_env: QueueHarness) -> None:
    """No id can be derived for it: it was reported as a missing event_id, a field producers may leave out."""
    bare = {"event_type": "order.updated", "order_id": "o-1", "customer_id": "c-1", "note": "shipped"}
    notification_env.sqs.send_message(QueueUrl=notification_env.queue_url, MessageBody=json.dumps(bare))
    notification_env.drain(handler.lambda_handler)
    (dead,) = notification_env.dead_letters()
    assert "update_id: Field required" in dead["MessageAttributes"]["failure_reason"]["StringValue"]


@pytest.mark.parametrize("update_id", ["", "u 1", "x" * 80])
def test_a_bad_update_id_is_poison_naming_update_id(notification_env: QueueHarness, update_id: str) -> None:
    """Found by the second review: the id derived from an update_id was never checked as an identifier
    ("" gave the id "o-1/order.updated/"), and a bad one was reported as a bad event_id, a field not sent."""
    bare = {"event_type": "order.updated", "order_id": "o-1", "customer_id": "c-1", "note": "n", "update_id": update_id}
    notification_env.sqs.send_message(QueueUrl=notification_env.queue_url, MessageBody=json.dumps(bare))
    notification_env.drain(handler.lambda_handler)
    (dead,) = notification_env.dead_letters()
    assert "poison message: update_id: " in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert notifications() == {}


def test_fields_named_like_the_sns_envelope_do_not_make_an_event_an_envelope(notification_env: QueueHarness) -> None:
    """Found by the second review: a raw-delivered event with unknown fields "Type": "Notification" and
    "Message" was taken for SNS's envelope and dead-lettered ("SNS message is not JSON")."""
    body = {**json.loads(order_event().model_dump_json(exclude_none=True)), "Type": "Notification", "Message": "hi"}
    send_raw(notification_env.sqs, notification_env.queue_url, json.dumps(body))
    notification_env.drain(handler.lambda_handler)
    assert notification_env.dead_letters() == []
    assert list(notifications()) == ["o-1/order.created"]


def test_an_amount_more_precise_than_cents_is_poison(notification_env: QueueHarness) -> None:
    """Found by the second review: the body was parsed with floats, so 10.0000000000000000001 became 10.0 and
    passed the two-places rule that order-processing applies to the same number."""
    body = order_event().model_dump_json(exclude_none=True).replace('"amount":120.5', '"amount":10.0000000000000000001')
    assert "10.0000000000000000001" in body
    send_raw(notification_env.sqs, notification_env.queue_url, body)
    notification_env.drain(handler.lambda_handler)
    (dead,) = notification_env.dead_letters()
    assert "amount" in dead["MessageAttributes"]["failure_reason"]["StringValue"]


# --- The module's functions, on records built here ---------------------------------------------------------------


def sqs_record(body: str, attributes: dict[str, str] | None = None) -> SQSRecord:
    return SQSRecord(
        {
            "messageId": "sqs-1",
            "body": body,
            "attributes": {"SentTimestamp": "1767225600000", "ApproximateReceiveCount": "1"},
            "messageAttributes": {k: {"dataType": "String", "stringValue": v} for k, v in (attributes or {}).items()},
        }
    )


def test_the_attributes_subscribers_filter_on() -> None:
    public = order_event(amount="12.50")
    assert message_attributes(public) == {
        "event_type": {"DataType": "String", "StringValue": "order.created"},
        "correlation_id": {"DataType": "String", "StringValue": "corr-o-1"},
        "amount": {"DataType": "Number", "StringValue": "12.50"},
    }
    internal = order_event("order.updated", amount=None, internal=True, note="n", event_id="o-1/order.updated/u-1")
    assert message_attributes(internal)["internal"] == {"DataType": "String", "StringValue": "true"}
    assert "amount" not in message_attributes(internal)


def test_an_sns_envelope_is_unwrapped_with_its_attributes_id_and_time() -> None:
    inner = {"event_type": "order.created", "order_id": "o-1", "amount": 10.5}
    envelope = {
        "Type": "Notification",
        "MessageId": "sns-1",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:order-events",
        "Message": json.dumps(inner),
        "Timestamp": "2026-12-01T10:00:00.000Z",
        "MessageAttributes": {"correlation_id": {"Type": "String", "Value": "c-9"}},
    }
    delivery = unwrap(sqs_record(json.dumps(envelope)))
    assert delivery.body == {**inner, "amount": Decimal("10.5")}
    assert (delivery.message_id, delivery.published_at) == ("sns-1", "2026-12-01T10:00:00.000Z")
    assert delivery.attributes == {"correlation_id": "c-9"}
    assert delivery.text == json.dumps(inner)


def test_a_raw_delivery_is_the_body_with_sqss_attributes_id_and_time() -> None:
    delivery = unwrap(sqs_record('{"event_type": "order.created"}', {"correlation_id": "c-1"}))
    assert delivery.attributes == {"correlation_id": "c-1"}
    assert (delivery.message_id, delivery.published_at) == ("sqs-1", "2026-01-01T00:00:00+00:00")


def test_a_type_the_consumer_does_not_handle_is_not_handled_here_and_never_poison() -> None:
    record = sqs_record(json.dumps({"event_type": "order.shipped", "order_id": "o-1"}))
    with pytest.raises(NotHandledHere) as raised:
        parse_order_event(record)
    assert raised.value.event_type == "order.shipped"
    event = parse_order_event(sqs_record(order_event().model_dump_json()), handled={"order.created"})
    assert (event.event_id, event.amount) == ("o-1/order.created", Decimal("120.50"))
