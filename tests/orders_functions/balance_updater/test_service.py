"""balance_updater.service against moto, through the handler: each transaction applied once, a refund only
after its charge and for its amount, what is poison."""

from __future__ import annotations

from decimal import Decimal

from orders_functions.balance_updater import handler
from tests.orders_functions.balance_updater.helpers import (
    balance,
    ledger,
    send,
    send_update,
    table,
)
from tests.orders_functions.sqs_harness import QueueHarness


def test_updates_of_several_accounts_are_applied(balance_env: QueueHarness) -> None:
    send(balance_env, "acct-a", "t1", "100.00")
    send(balance_env, "acct-b", "t2", "50.00")
    send(balance_env, "acct-a", "t3", "-30.25")
    delivery = balance_env.deliver(handler.lambda_handler)
    assert delivery.failed_ids == []
    assert balance("acct-a") == Decimal("69.75")
    assert balance("acct-b") == Decimal("50.00")
    assert ledger("acct-a") == ["t1", "t3"]
    assert balance_env.depth() == 0


def test_a_transaction_delivered_again_changes_the_balance_once(balance_env: QueueHarness) -> None:
    send(balance_env, "acct-a", "t1", "10.00")
    balance_env.deliver(handler.lambda_handler)
    # The same transaction, resent after SQS's deduplication window (a new deduplication id).
    send(balance_env, "acct-a", "t1", "10.00", dedup="t1-resent")
    delivery = balance_env.deliver(handler.lambda_handler)
    assert delivery.failed_ids == []
    assert balance("acct-a") == Decimal("10.00")
    item = table().get_item(Key={"account_id": "acct-a", "entry": "BALANCE"})["Item"]
    assert item["applied_count"] == 1
    assert balance_env.depth() == 0


def test_an_update_in_the_wrong_group_is_refused(balance_env: QueueHarness) -> None:
    send(balance_env, "acct-a", "w1", "5.00", group="acct-z")
    balance_env.deliver(handler.lambda_handler)
    (dead,) = balance_env.dead_letters()
    assert "is not the account" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert balance("acct-a") is None


def test_a_refund_waits_for_its_charge_and_is_never_a_credit_without_a_debit(balance_env: QueueHarness) -> None:
    refund = {"account_id": "acct-r", "transaction_id": "o-1.refund", "amount": "10.00", "reverses": "o-1.charge"}
    send_update(balance_env, refund)
    first = balance_env.deliver(handler.lambda_handler)
    assert len(first.failed_ids) == 1  # waits: the charge is not in the ledger
    assert balance("acct-r") is None
    balance_env.let_time_pass()
    # (the charge arrives: here it is sent after the refund, as a redrive would)
    balance_env.deliver(handler.lambda_handler)  # the refund still waits, at the head of its group
    balance_env.let_time_pass()
    assert balance("acct-r") is None


def test_a_refund_for_another_amount_than_its_charge_is_poison(balance_env: QueueHarness) -> None:
    send_update(balance_env, {"account_id": "acct-s", "transaction_id": "o-2.charge", "amount": "-10.00"})
    send_update(
        balance_env,
        {"account_id": "acct-s", "transaction_id": "o-2.refund", "amount": "99.00", "reverses": "o-2.charge"},
    )
    balance_env.drain(handler.lambda_handler)
    (dead,) = balance_env.dead_letters()
    assert "applied with amount -10" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert balance("acct-s") == Decimal("-10.00")
    assert ledger("acct-s") == ["o-2.charge"]


def test_a_refund_after_its_charge_is_applied(balance_env: QueueHarness) -> None:
    send_update(balance_env, {"account_id": "acct-t", "transaction_id": "o-3.charge", "amount": "-10.50"})
    send_update(
        balance_env,
        {"account_id": "acct-t", "transaction_id": "o-3.refund", "amount": "10.5", "reverses": "o-3.charge"},
    )
    balance_env.drain(handler.lambda_handler)
    assert balance("acct-t") == Decimal("0")
    assert ledger("acct-t") == ["o-3.charge", "o-3.refund"]


def test_a_transaction_id_sent_again_with_another_amount_is_poison_not_a_duplicate(balance_env: QueueHarness) -> None:
    send(balance_env, "a-1", "o-3.charge", "-10.00")
    balance_env.drain(handler.lambda_handler)
    send(balance_env, "a-1", "o-3.charge", "-99.00", dedup="another-send")
    balance_env.drain(handler.lambda_handler)
    (dead,) = balance_env.dead_letters()
    assert dead["MessageAttributes"]["failure_kind"]["StringValue"] == "poison"
    assert "with amount -10.00" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert balance("a-1") == Decimal("-10.00")


def test_an_amount_more_precise_than_cents_is_poison_not_rounded(balance_env: QueueHarness) -> None:
    """Found by the second review: the body was read with floats, so -10.0000000000000000001 became -10.0,
    passed the two-places rule, and was applied to the ledger."""
    body = '{"account_id": "a-1", "transaction_id": "o-1.charge", "amount": -10.0000000000000000001}'
    balance_env.sqs.send_message(
        QueueUrl=balance_env.queue_url, MessageBody=body, MessageGroupId="a-1", MessageDeduplicationId="o-1.charge"
    )
    balance_env.drain(handler.lambda_handler)
    (dead,) = balance_env.dead_letters()
    assert "amount" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert table().scan()["Items"] == []
