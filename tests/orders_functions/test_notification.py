"""notification against moto: one record per event, whatever the deliveries."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from orders_functions.notification import handler
from tests.orders_functions.events import order_event, send_raw
from tests.orders_functions.sqs_harness import QueueHarness


def notifications() -> dict[str, dict[str, Any]]:
    return {i["notification_id"]: i for i in boto3.resource("dynamodb").Table("notifications").scan()["Items"]}


def test_each_event_becomes_one_notification_record(notification_env: QueueHarness) -> None:
    created = order_event()
    send_raw(notification_env.sqs, notification_env.queue_url, created)
    send_raw(notification_env.sqs, notification_env.queue_url, created)
    send_raw(notification_env.sqs, notification_env.queue_url, order_event("order.cancelled"))
    send_raw(
        notification_env.sqs,
        notification_env.queue_url,
        order_event("order.updated", amount=None, event_id="o-1/order.updated/u-1", note="shipped"),
    )
    assert notification_env.deliver(handler.lambda_handler).failed_ids == []
    records = notifications()
    assert set(records) == {"o-1/order.created", "o-1/order.cancelled", "o-1/order.updated/u-1"}
    created_record = records["o-1/order.created"]
    assert (created_record["recipient"], created_record["channel"]) == ("c-1", "email")
    assert created_record["message"] == "We received your order o-1 for 120.50 EUR."
    assert records["o-1/order.cancelled"]["message"] == "Your order o-1 is cancelled; 120.50 EUR will be refunded."
    assert records["o-1/order.updated/u-1"]["message"] == "Update on your order o-1: shipped"


def test_enterprise_customers_hear_from_their_account_manager(notification_env: QueueHarness) -> None:
    send_raw(notification_env.sqs, notification_env.queue_url, order_event(customer_tier="enterprise"))
    notification_env.deliver(handler.lambda_handler)
    assert notifications()["o-1/order.created"]["channel"] == "account-manager"


def test_a_poison_event_is_dead_lettered_and_the_rest_recorded(notification_env: QueueHarness) -> None:
    send_raw(notification_env.sqs, notification_env.queue_url, '{"event_type": "order.created", "order_id": 7}')
    send_raw(notification_env.sqs, notification_env.queue_url, order_event(order_id="o-2"))
    assert notification_env.deliver(handler.lambda_handler).failed_ids == []
    assert list(notifications()) == ["o-2/order.created"]
    (dead,) = notification_env.dead_letters()
    assert "invalid order event" in dead["MessageAttributes"]["failure_reason"]["StringValue"]


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
