"""balance_updater.handler against moto: order kept per account (the FIFO group) through failures, attempts
counted apart from receives, and a record out of attempts taken for done only when its update was applied."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import boto3

from orders_functions.balance_updater import handler
from orders_functions.balance_updater.service import BalanceLedger, balance_of, ledger_transaction
from stacks.processing_stack import MAX_ATTEMPTS
from tests.orders_functions.balance_updater.helpers import (
    applied_order,
    balance,
    ledger,
    send,
)
from tests.orders_functions.faults import (
    count_successes,
    fail_calls,
    killed_at_every_attempt,
    succeeded_on_the_last_attempt_then_killed,
)
from tests.orders_functions.sqs_harness import QueueHarness


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
