"""payment against moto: authorise once, refund once, balance updates to the FIFO queue."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import boto3
import pytest

from orders_functions.common.limits import IDENTIFIER_MAX_LENGTH
from orders_functions.payment import handler
from stacks.processing_stack import MAX_ATTEMPTS
from tests.orders_functions.conftest import received
from tests.orders_functions.events import order_event, send_raw
from tests.orders_functions.faults import fail_calls, succeeded_on_the_last_attempt_then_killed
from tests.orders_functions.sqs_harness import QueueHarness


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
    assert (payment["status"], payment["amount"], payment["account_id"]) == ("CHARGE_SENT", Decimal("120.50"), "c-1")
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
    assert payments()["o-1"]["status"] == "REFUND_SENT"
    refunds = [u for u in balance_updates(payment_env) if u["dedup"] == "o-1.refund"]
    assert len(refunds) == 1
    assert refunds[0]["body"]["amount"] == "120.50"
    assert refunds[0]["body"]["reverses"] == "o-1.charge"


def test_a_cancellation_before_its_order_is_recorded_and_nothing_is_ever_charged(payment_env: QueueHarness) -> None:
    send_raw(payment_env.sqs, payment_env.queue_url, order_event("order.cancelled"))
    assert payment_env.deliver(handler.lambda_handler).failed_ids == []  # nothing waits
    send_raw(payment_env.sqs, payment_env.queue_url, order_event())
    assert payment_env.deliver(handler.lambda_handler).failed_ids == []
    assert payments()["o-1"]["status"] == "CANCELLED"
    assert balance_updates(payment_env) == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "body is not JSON"),
        ('{"event_type": "order.created"}', "invalid order event"),
        (order_event(amount=None).model_dump_json(exclude_none=True), "has no amount"),
        ('{"event_type": "Order.Created", "order_id": "o-1"}', "event_type: 'Order.Created' is not an event type"),
    ],
)
def test_poison_events_are_dead_lettered_with_the_reason(payment_env: QueueHarness, body: str, reason: str) -> None:
    send_raw(payment_env.sqs, payment_env.queue_url, body)
    assert payment_env.deliver(handler.lambda_handler).failed_ids == []
    (dead,) = payment_env.dead_letters()
    assert reason in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert payments() == {}
    assert received(payment_env.sqs, payment_env.listener_url or "") == []


@pytest.mark.parametrize("event_type", ["order.updated", "order.shipped"])
def test_an_event_type_payment_does_not_handle_is_acknowledged_and_counted(
    payment_env: QueueHarness, event_type: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """It used to be dead-lettered as poison: routed there by a filter (or none), it is not a bad message."""
    body = {**json.loads(order_event("order.updated", amount=None).model_dump_json()), "event_type": event_type}
    send_raw(payment_env.sqs, payment_env.queue_url, json.dumps(body))
    assert payment_env.deliver(handler.lambda_handler).failed_ids == []
    assert payment_env.dead_letters() == [] and payment_env.depth() == 0
    assert payments() == {}
    assert '"UnhandledEventTypes"' in capsys.readouterr().out


# --- Defect 2: a refund only after its charge was sent ----------------------------------------------


def test_a_cancellation_while_the_charge_cannot_be_sent_never_credits_without_a_debit(
    payment_env: QueueHarness,
) -> None:
    """The charge's send fails until order.created is exhausted, while a cancellation arrives.

    On main the payment said AUTHORIZED (written before the charge was sent), so the refund went
    out alone: the account was credited for a charge never applied.
    """
    balance_url = payment_env.listener_url
    failing = fail_calls(
        handler.runtime().failures.sqs_client,
        "SendMessage",
        times=MAX_ATTEMPTS,
        code="ServiceUnavailable",
        when=lambda params: params.get("QueueUrl") == balance_url,
    )
    send_raw(payment_env.sqs, payment_env.queue_url, order_event())
    for _ in range(MAX_ATTEMPTS):  # every attempt at the charge fails; then order.created is dead-lettered
        payment_env.deliver(handler.lambda_handler)
        payment_env.let_time_pass()
    assert len(failing) == MAX_ATTEMPTS
    assert [m["MessageAttributes"]["failure_kind"]["StringValue"] for m in payment_env.dead_letters()] == ["exhausted"]
    assert payments()["o-1"]["status"] == "AUTHORIZED"

    send_raw(payment_env.sqs, payment_env.queue_url, order_event("order.cancelled"))
    payment_env.drain(handler.lambda_handler)

    updates = balance_updates(payment_env)
    assert [u["dedup"] for u in updates] == ["o-1.charge", "o-1.refund"]  # the charge first, in the same group
    assert {u["group"] for u in updates} == {"c-1"}
    assert sum(Decimal(u["body"]["amount"]) for u in updates) == 0
    assert payments()["o-1"]["status"] == "REFUND_SENT"


def test_a_crash_after_the_charge_was_sent_sends_it_again_with_the_same_id(payment_env: QueueHarness) -> None:
    """The charge went out, the CHARGE_SENT write did not: the retry sends the same transaction (charged once)."""
    fail_calls(
        handler.runtime().service._table.meta.client,
        "UpdateItem",
        times=1,
        code="ProvisionedThroughputExceededException",
    )
    send_raw(payment_env.sqs, payment_env.queue_url, order_event())
    assert len(payment_env.deliver(handler.lambda_handler).failed_ids) == 1
    payment_env.let_time_pass()
    payment_env.drain(handler.lambda_handler)
    assert payments()["o-1"]["status"] == "CHARGE_SENT"
    assert {u["dedup"] for u in balance_updates(payment_env)} == {"o-1.charge"}


# --- Defect 1: every id an order can carry reaches the ledger --------------------------------------


def test_an_order_id_of_the_longest_length_is_charged(payment_env: QueueHarness) -> None:
    """A 64-character order id (the order model's limit) made a 71-character charge id the balance model refused."""
    from orders_functions.balance_updater.service import parse_balance_update

    longest = "o" * IDENTIFIER_MAX_LENGTH
    send_raw(payment_env.sqs, payment_env.queue_url, order_event(order_id=longest, customer_id="c" * 64))
    assert payment_env.deliver(handler.lambda_handler).failed_ids == []
    (update,) = balance_updates(payment_env)
    parsed = parse_balance_update(json.dumps(update["body"]), update["group"])
    assert parsed.transaction_id == f"{longest}.charge"


# --- Found by trying to break the claims (a reviewer's tests, kept) ----------------------------------


def test_an_order_placed_after_its_cancellation_is_never_charged_whichever_event_comes_first(
    payment_env: QueueHarness,
) -> None:
    """The cancellation reached order-processing first; payment saw order.created first (as published) and
    charged, then refunded: the README promised the order is never charged."""
    created = order_event(cancelled_before_placed=True)
    send_raw(payment_env.sqs, payment_env.queue_url, created)
    send_raw(payment_env.sqs, payment_env.queue_url, order_event("order.cancelled"))
    payment_env.drain(handler.lambda_handler)
    assert payments()["o-1"]["status"] == "CANCELLED"
    assert balance_updates(payment_env) == []
    assert payment_env.dead_letters() == []


def test_a_cancellation_of_a_payment_the_previous_version_ended_refunded_sends_its_refund(
    payment_env: QueueHarness,
) -> None:
    """The previous version wrote REFUNDED, then sent the refund: a failed send left REFUNDED with no refund out.
    Taken as refunded, the cancellation redelivered after the upgrade sent nothing, and the customer stayed
    charged; before that, it was dead-lettered as poison. Now the charge and the refund are sent again (the
    ledger applies each once) and the payment ends REFUND_SENT."""
    boto3.resource("dynamodb").Table("payments").put_item(
        Item={"order_id": "o-1", "account_id": "c-1", "amount": Decimal("120.5"), "status": "REFUNDED"}
    )
    send_raw(payment_env.sqs, payment_env.queue_url, order_event("order.cancelled"))
    send_raw(payment_env.sqs, payment_env.queue_url, order_event())  # and a late order.created changes nothing
    payment_env.drain(handler.lambda_handler)
    assert payment_env.dead_letters() == []
    sent = [(u["dedup"], u["body"]["amount"]) for u in balance_updates(payment_env)]
    assert sent == [("o-1.charge", "-120.50"), ("o-1.refund", "120.50")]
    assert payments()["o-1"]["status"] == "REFUND_SENT"


def test_a_charge_sent_on_the_last_attempt_then_killed_is_done_not_dead_lettered(payment_env: QueueHarness) -> None:
    """Its last attempt succeeded and the invocation was killed before the record was deleted: it came back out
    of attempts and was dead-lettered as exhausted, though its effect was there."""
    fail_calls(handler.runtime().service._table.meta.client, "PutItem", times=MAX_ATTEMPTS - 1)
    send_raw(payment_env.sqs, payment_env.queue_url, order_event())
    succeeded_on_the_last_attempt_then_killed(payment_env, handler.lambda_handler, MAX_ATTEMPTS - 1)
    payment_env.drain(handler.lambda_handler)
    assert payments()["o-1"]["status"] == "CHARGE_SENT"
    assert payment_env.dead_letters() == []
    assert payment_env.depth() == 0
