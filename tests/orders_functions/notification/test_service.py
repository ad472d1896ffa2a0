"""notification.service against moto, through the handler: one notification record per order event."""

from __future__ import annotations

from orders_functions.notification import handler
from tests.orders_functions.events import order_event, send_raw
from tests.orders_functions.notification.helpers import notifications
from tests.orders_functions.sqs_harness import QueueHarness


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
