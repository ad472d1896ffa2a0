"""balance_updater against moto: order per account, exactly-once effect, a failure mid-batch."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import boto3

from orders_functions.balance_updater import handler
from orders_functions.balance_updater.service import BalanceLedger, balance_of, ledger_transaction
from stacks.processing_stack import MAX_ATTEMPTS
from tests.lambdas.faults import (
    count_successes,
    fail_calls,
    killed_at_every_attempt,
    succeeded_on_the_last_attempt_then_killed,
)
from tests.lambdas.sqs_harness import QueueHarness


def send(
    env: QueueHarness, account: str, txn: str, amount: str, group: str | None = None, dedup: str | None = None
) -> str:
    body = json.dumps({"account_id": account, "transaction_id": txn, "amount": amount})
    return str(
        env.sqs.send_message(
            QueueUrl=env.queue_url,
            MessageBody=body,
            MessageGroupId=group or account,
            MessageDeduplicationId=dedup or txn,
        )["MessageId"]
    )


def table() -> Any:
    return boto3.resource("dynamodb").Table("balances")


def balance(account: str) -> Decimal | None:
    item = table().get_item(Key={"account_id": account, "entry": "BALANCE"}).get("Item")
    return None if item is None else item["balance"]


def ledger(account: str) -> list[str]:
    items = table().query(
        KeyConditionExpression="account_id = :a AND begins_with(entry, :t)",
        ExpressionAttributeValues={":a": account, ":t": "TXN#"},
    )["Items"]
    return sorted(item["entry"].removeprefix("TXN#") for item in items)


def applied_order(account: str) -> list[str]:
    items = table().query(
        KeyConditionExpression="account_id = :a AND begins_with(entry, :t)",
        ExpressionAttributeValues={":a": account, ":t": "TXN#"},
    )["Items"]
    return [item["entry"].removeprefix("TXN#") for item in sorted(items, key=lambda i: i["applied_at"])]


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


def test_a_failure_mid_batch_holds_back_the_rest_of_its_group_only(balance_env: QueueHarness) -> None:
    a1 = send(balance_env, "acct-a", "a1", "1.00")
    a2 = send(balance_env, "acct-a", "a2", "2.00")
    a3 = send(balance_env, "acct-a", "a3", "4.00")
    send(balance_env, "acct-b", "b1", "8.00")
    runtime = handler.runtime()
    fail_calls(
        runtime.service.ledger._client,
        "TransactWriteItems",
        times=1,
        code="ThrottlingException",
        when=lambda params: "TXN#a2" in str(params),
    )

    first = balance_env.deliver(handler.lambda_handler)

    assert a1 not in first.failed_ids
    assert set(first.failed_ids) == {a2, a3}  # a3 was not tried: it must not overtake a2
    assert ledger("acct-a") == ["a1"]
    assert balance("acct-b") == Decimal("8.00")  # the other account went on

    balance_env.let_time_pass()
    balance_env.drain(handler.lambda_handler)

    assert applied_order("acct-a") == ["a1", "a2", "a3"]
    assert balance("acct-a") == Decimal("7.00")
    assert balance_env.depth() == 0
    assert balance_env.dead_letters() == []


def test_a_poison_update_is_dead_lettered_and_its_group_goes_on(balance_env: QueueHarness) -> None:
    send(balance_env, "acct-a", "p1", "5.00")
    balance_env.sqs.send_message(
        QueueUrl=balance_env.queue_url,
        MessageBody='{"account_id": "acct-a", "transaction_id": "p2", "amount": "lots"}',
        MessageGroupId="acct-a",
        MessageDeduplicationId="p2",
    )
    send(balance_env, "acct-a", "p3", "1.00")
    delivery = balance_env.deliver(handler.lambda_handler)
    assert delivery.failed_ids == []
    assert balance("acct-a") == Decimal("6.00")
    (dead,) = balance_env.dead_letters()
    attrs = dead["MessageAttributes"]
    assert attrs["failure_kind"]["StringValue"] == "poison"
    assert "amount" in attrs["failure_reason"]["StringValue"]
    assert dead["Attributes"]["MessageGroupId"] == "acct-a"  # the FIFO DLQ keeps the group


def test_an_update_in_the_wrong_group_is_refused(balance_env: QueueHarness) -> None:
    send(balance_env, "acct-a", "w1", "5.00", group="acct-z")
    balance_env.deliver(handler.lambda_handler)
    (dead,) = balance_env.dead_letters()
    assert "is not the account" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert balance("acct-a") is None


def test_sqs_fifo_drops_a_duplicate_inside_the_deduplication_window(balance_env: QueueHarness) -> None:
    send(balance_env, "acct-a", "d1", "3.00")
    send(balance_env, "acct-a", "d1", "3.00")
    delivery = balance_env.deliver(handler.lambda_handler)
    assert len(delivery.message_ids) == 1
    assert balance("acct-a") == Decimal("3.00")


def test_an_update_that_keeps_failing_ends_in_the_fifo_dlq_with_the_reason(balance_env: QueueHarness) -> None:
    fail_calls(handler.runtime().service.ledger._client, "TransactWriteItems", times=100, code="InternalServerError")
    send(balance_env, "acct-a", "f1", "1.00")
    deliveries = balance_env.drain(handler.lambda_handler)
    assert sum(1 for d in deliveries if d.message_ids) == MAX_ATTEMPTS
    (dead,) = balance_env.dead_letters()
    assert f"gave up after {MAX_ATTEMPTS} attempts" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert balance_env.depth() == 0


# --- Defect 6: records held back behind a failed head keep their attempts -------------------------


def test_followers_held_back_behind_a_failing_head_keep_their_attempts_and_their_order(
    balance_env: QueueHarness,
) -> None:
    """The head of an account fails three times, then its next record fails twice, then all is well.

    The follower was received with the head each time without being tried. On main its receive count
    reached maxReceiveCount after 2 real attempts: it was dead-lettered as 'exhausted', and the
    account's later record was applied ahead of it.
    """
    client = handler.runtime().service.ledger._client
    failures = {"head": 3, "follower": 2}

    def failing(params: dict[str, Any]) -> bool:
        transaction = params["TransactItems"][0]["Put"]["Item"]["entry"]["S"].removeprefix("TXN#")
        if failures.get(transaction, 0) > 0:
            failures[transaction] -= 1
            return True
        return False

    fail_calls(client, "TransactWriteItems", times=10**6, code="InternalServerError", when=failing)
    for txn in ("head", "follower", "last"):
        send(balance_env, "acct-f", txn, "-1.00")
    applied: list[str] = []
    count_successes(
        client,
        "TransactWriteItems",
        lambda params: applied.append(params["TransactItems"][0]["Put"]["Item"]["entry"]["S"].removeprefix("TXN#")),
    )
    balance_env.drain(handler.lambda_handler, rounds=40)
    assert balance_env.dead_letters() == []
    assert applied == ["head", "follower", "last"]  # in send order, each once
    assert balance("acct-f") == Decimal("-3.00")


def test_a_record_whose_attempts_ended_without_a_result_is_dead_lettered_before_it_is_tried_again(
    balance_env: QueueHarness,
) -> None:
    """Invocations killed mid-record leave no error behind: the handler still dead-letters, with a reason."""
    send(balance_env, "acct-k", "killed", "-1.00")

    class Killed(BaseException):
        """Lambda stopping the invocation: no ``except Exception`` in the handler sees it."""

    def kill(**_: Any) -> None:
        raise Killed()

    handler.runtime().service.ledger._client.meta.events.register("before-call.dynamodb.TransactWriteItems", kill)
    kills = 0
    while balance_env.depth():
        try:
            balance_env.deliver(handler.lambda_handler)
        except Killed:
            kills += 1
        balance_env.let_every_visibility_timeout_pass()  # the killed batch comes back
        assert kills <= MAX_ATTEMPTS + 1
    # The kill on the first receive is not counted (a first receive writes nothing); each later one is.
    assert kills == MAX_ATTEMPTS + 1
    (dead,) = balance_env.dead_letters()
    attributes = dead["MessageAttributes"]
    assert attributes["failure_kind"]["StringValue"] == "exhausted"
    assert f"gave up after {MAX_ATTEMPTS} attempts" in attributes["failure_reason"]["StringValue"]
    assert "ended without a result" in attributes["failure_reason"]["StringValue"]
    assert balance("acct-k") is None


# --- A refund is applied only after its charge ------------------------------------------------------


def send_update(env: QueueHarness, body: dict[str, Any]) -> None:
    env.sqs.send_message(
        QueueUrl=env.queue_url,
        MessageBody=json.dumps(body),
        MessageGroupId=body["account_id"],
        MessageDeduplicationId=body["transaction_id"],
    )


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


# --- Found by trying to break the claims (a reviewer's tests, kept) ----------------------------------


def test_an_update_applied_on_its_last_attempt_then_killed_is_done_not_dead_lettered(
    balance_env: QueueHarness,
) -> None:
    """Throttled 7 times, applied on its 8th attempt, then the invocation was killed before the batch was
    deleted: it came back out of attempts and was dead-lettered as exhausted, though it was in the ledger."""
    fail_calls(
        handler.runtime().service.ledger._client,
        "TransactWriteItems",
        times=MAX_ATTEMPTS - 1,
        code="ThrottlingException",
    )
    send(balance_env, "a-1", "o-1.charge", "-10.00")
    succeeded_on_the_last_attempt_then_killed(balance_env, handler.lambda_handler, MAX_ATTEMPTS - 1)
    balance_env.drain(handler.lambda_handler)
    assert ledger("a-1") == ["o-1.charge"]
    assert balance("a-1") == Decimal("-10.00")
    assert balance_env.dead_letters() == []
    assert balance_env.depth() == 0


def test_a_record_killed_on_every_attempt_is_still_dead_lettered_when_nothing_was_applied(
    balance_env: QueueHarness,
) -> None:
    send(balance_env, "a-1", "o-2.charge", "-10.00")
    ledger_client = handler.runtime().service.ledger._client
    killed_at_every_attempt(balance_env, handler.lambda_handler, ledger_client, "TransactWriteItems", MAX_ATTEMPTS + 1)
    balance_env.drain(handler.lambda_handler)
    (dead,) = balance_env.dead_letters()
    assert dead["MessageAttributes"]["failure_kind"]["StringValue"] == "exhausted"
    assert ledger("a-1") == []


def test_a_transaction_id_sent_again_with_another_amount_is_poison_not_a_duplicate(balance_env: QueueHarness) -> None:
    send(balance_env, "a-1", "o-3.charge", "-10.00")
    balance_env.drain(handler.lambda_handler)
    send(balance_env, "a-1", "o-3.charge", "-99.00", dedup="another-send")
    balance_env.drain(handler.lambda_handler)
    (dead,) = balance_env.dead_letters()
    assert dead["MessageAttributes"]["failure_kind"]["StringValue"] == "poison"
    assert "with amount -10.00" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert balance("a-1") == Decimal("-10.00")


def test_a_resend_with_another_amount_that_ran_out_of_attempts_is_not_taken_for_done(
    balance_env: QueueHarness,
) -> None:
    """Found by trying to break the claims: a resend of an applied transaction with another amount, killed
    until out of attempts, was acknowledged as done because its transaction id was in the ledger."""

    send(balance_env, "a-1", "o-4.charge", "-10.00")
    balance_env.drain(handler.lambda_handler)
    send(balance_env, "a-1", "o-4.charge", "-20.00", dedup="resent")
    ledger_client = handler.runtime().service.ledger._client
    killed_at_every_attempt(balance_env, handler.lambda_handler, ledger_client, "TransactWriteItems", MAX_ATTEMPTS + 1)
    balance_env.drain(handler.lambda_handler)
    (dead,) = balance_env.dead_letters()
    assert json.loads(dead["Body"])["amount"] == "-20.00"
    assert dead["MessageAttributes"]["failure_kind"]["StringValue"] == "exhausted"
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


def test_the_ledger_reads_back_what_it_wrote(balance_env: QueueHarness) -> None:
    """The layout tools read (the demo, the benchmarks), from the module that writes it."""
    send(balance_env, "acct-a", "t1", "100.00")
    send(balance_env, "acct-a", "t2", "-30.25")
    assert balance_env.deliver(handler.lambda_handler).failed_ids == []
    client = boto3.client("dynamodb")
    reader = BalanceLedger(client, "balances")
    assert (reader.balance("acct-a"), reader.balance("acct-never-updated")) == (Decimal("69.75"), None)
    items = client.scan(TableName="balances")["Items"]
    assert sorted(t for t in map(ledger_transaction, items) if t is not None) == ["t1", "t2"]
    assert [balance_of(i) for i in items if ledger_transaction(i) is None] == [Decimal("69.75")]
