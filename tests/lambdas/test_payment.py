"""payment against moto: authorise once, refund once, balance updates to the FIFO queue."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import boto3
import pytest
from payment import handler

from tests.lambdas.conftest import received
from tests.lambdas.events import order_event, send_raw
from tests.lambdas.sqs_harness import QueueHarness


def payments() -> dict[str, dict[str, Any]]:
    return {item["order_id"]: item for item in boto3.resource("dynamodb").Table("payments").scan()["Items"]}


def balance_updates(env: QueueHarness) -> list[dict[str, Any]]:
    """Consume what reached balance-updates.fifo (deleting it, as balance_updater would, unlocks the group)."""
    assert env.listener_url is not None
    messages = env.sqs.receive_message(
        QueueUrl=env.listener_url,
        MaxNumberOfMessages=10,
        MessageSystemAttributeNames=["All"],
        MessageAttributeNames=["All"],
    ).get("Messages", [])
    for message in messages:
        env.sqs.delete_message(QueueUrl=env.listener_url, ReceiptHandle=message["ReceiptHandle"])
    return [
        {
            "body": json.loads(m["Body"]),
            "group": m["Attributes"]["MessageGroupId"],
            "dedup": m["Attributes"]["MessageDeduplicationId"],
            "correlation_id": m["MessageAttributes"]["correlation_id"]["StringValue"],
        }
        for m in messages
    ]


def test_a_new_order_is_authorised_and_charged_to_the_customer_account(payment_env: QueueHarness) -> None:
    send_raw(payment_env.sqs, payment_env.queue_url, order_event())
    assert payment_env.deliver(handler.lambda_handler).failed_ids == []
    payment = payments()["o-1"]
    assert (payment["status"], payment["amount"], payment["account_id"]) == ("AUTHORIZED", Decimal("120.50"), "c-1")
    (update,) = balance_updates(payment_env)
    assert update["group"] == "c-1"
    assert update["dedup"] == "o-1.charge"
    assert update["body"] == {
        "account_id": "c-1",
        "transaction_id": "o-1.charge",
        "amount": "-120.50",
        "description": "charge for order o-1",
    }
    assert update["correlation_id"] == "corr-o-1"


def test_the_same_event_twice_authorises_once_and_fifo_drops_the_second_update(payment_env: QueueHarness) -> None:
    send_raw(payment_env.sqs, payment_env.queue_url, order_event())
    send_raw(payment_env.sqs, payment_env.queue_url, order_event())
    assert payment_env.deliver(handler.lambda_handler).failed_ids == []
    assert len(payments()) == 1
    assert len(balance_updates(payment_env)) == 1


def test_a_cancellation_refunds_once(payment_env: QueueHarness) -> None:
    send_raw(payment_env.sqs, payment_env.queue_url, order_event())
    payment_env.deliver(handler.lambda_handler)
    balance_updates(payment_env)
    cancelled = order_event("order.cancelled")
    send_raw(payment_env.sqs, payment_env.queue_url, cancelled)
    send_raw(payment_env.sqs, payment_env.queue_url, cancelled)
    assert payment_env.drain(handler.lambda_handler)[0].failed_ids == []
    assert payments()["o-1"]["status"] == "REFUNDED"
    refunds = [u for u in balance_updates(payment_env) if u["dedup"] == "o-1.refund"]
    assert len(refunds) == 1
    assert refunds[0]["body"]["amount"] == "120.50"


def test_a_refund_that_overtakes_its_authorisation_waits_for_it(payment_env: QueueHarness) -> None:
    send_raw(payment_env.sqs, payment_env.queue_url, order_event("order.cancelled"))
    first = payment_env.deliver(handler.lambda_handler)
    assert len(first.failed_ids) == 1
    send_raw(payment_env.sqs, payment_env.queue_url, order_event())
    payment_env.let_time_pass()
    payment_env.drain(handler.lambda_handler)
    assert payments()["o-1"]["status"] == "REFUNDED"
    assert {u["dedup"] for u in balance_updates(payment_env)} == {"o-1.charge", "o-1.refund"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "body is not JSON"),
        ('{"event_type": "order.created"}', "invalid order event"),
        (order_event(amount=None).model_dump_json(exclude_none=True), "has no amount"),
        (order_event("order.updated", amount=None).model_dump_json(), "has no amount"),
    ],
)
def test_poison_events_are_dead_lettered_with_the_reason(payment_env: QueueHarness, body: str, reason: str) -> None:
    send_raw(payment_env.sqs, payment_env.queue_url, body)
    assert payment_env.deliver(handler.lambda_handler).failed_ids == []
    (dead,) = payment_env.dead_letters()
    assert reason in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert payments() == {}
    assert received(payment_env.sqs, payment_env.listener_url or "") == []
