"""common.order_event_consumer: what the consumers of order events acknowledge without applying (an event type
they do not handle, an internal event); through the notification handler against moto."""

from __future__ import annotations

import json

import pytest

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
