"""reconciliation.service against moto: each account's balance checked against its ledger."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from event_runtime.errors import PoisonMessageError, TransientError
from orders_functions.reconciliation.service import BALANCE_MISMATCHES, Reconciliation, report_key
from tests.orders_functions.reconciliation.conftest import Books


def request(**body: Any) -> SQSRecord:
    return SQSRecord({"messageId": "m-1", "body": json.dumps(body), "attributes": {}})


class CountingMetrics:
    def __init__(self) -> None:
        self.added: list[tuple[str, float]] = []
        self.flushes = 0

    def add_metric(self, name: str, unit: str, value: float) -> None:
        self.added.append((name, value))

    def flush_metrics(self) -> None:
        self.flushes += 1


def test_an_account_whose_balance_is_the_sum_of_its_ledger_is_reported_balanced(books: Books) -> None:
    books.apply("acct-1", "t1", "100.00")
    books.apply("acct-1", "t2", "-30.25")
    books.apply("acct-1", "t1", "100.00")  # a duplicate: applied once
    result = books.reconciler().process(request(run_id="run-1", account_id="acct-1"))
    report = books.report(report_key("run-1", "acct-1"))
    assert result == report
    assert report["status"] == "balanced"
    assert (report["balance"], report["ledger_sum"], report["difference"]) == ("69.75", "69.75", "0.00")
    assert (report["applied_count"], report["ledger_entries"]) == (2, 2)


def test_a_balance_changed_behind_the_ledgers_back_is_a_mismatch_and_counted(books: Books) -> None:
    books.apply("acct-1", "t1", "10.00")
    books.tamper("acct-1", "25.00")
    metrics = CountingMetrics()
    report = books.reconciler(metrics).process(request(run_id="run-1", account_id="acct-1"))
    assert report["status"] == "mismatch"
    assert report["difference"] == "15.00"
    assert metrics.added == [(BALANCE_MISMATCHES, 1)] and metrics.flushes == 1
    assert books.report(report_key("run-1", "acct-1"))["status"] == "mismatch"


def test_an_account_that_changes_during_its_check_is_checked_again(
    books: Books, monkeypatch: pytest.MonkeyPatch
) -> None:
    books.apply("acct-1", "t1", "10.00")
    reconciler = books.reconciler()
    read = reconciler.reconcile

    def read_while_a_transaction_lands(run_id: str, account_id: str) -> Reconciliation:
        seen = read(run_id, account_id)
        books.apply("acct-1", "t2", "5.00")  # lands after the balance item was read, before the ledger page
        return Reconciliation(account_id, run_id, seen.balance, seen.ledger_sum + 5, seen.applied_count, 2)

    monkeypatch.setattr(reconciler, "reconcile", read_while_a_transaction_lands)
    with pytest.raises(TransientError, match="changed while it was checked"):
        reconciler.process(request(run_id="run-1", account_id="acct-1"))
    monkeypatch.undo()
    assert reconciler.process(request(run_id="run-1", account_id="acct-1"))["status"] == "balanced"


def test_a_request_for_every_account_asks_for_each_accounts_check(books: Books) -> None:
    accounts = [f"acct-{n:02}" for n in range(23)]
    for account in accounts:
        books.apply(account, "t1", "1.00")
    result = books.reconciler().process(request(run_id="nightly", all_accounts=True))
    assert result == {"run_id": "nightly", "accounts_asked": 23}
    asked = [json.loads(body) for body in books.requests()]
    assert sorted(a["account_id"] for a in asked) == accounts
    assert {a["run_id"] for a in asked} == {"nightly"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "empty message body"),
        ('{"run_id": "r"}', "one account_id, or says all_accounts"),
        ('{"run_id": "r", "account_id": "a", "all_accounts": true}', "one account_id, or says all_accounts"),
        ('{"account_id": "a"}', "run_id"),
        ('{"run_id": "r", "account_id": "no spaces please"}', "account_id"),
    ],
)
def test_a_malformed_request_is_poison_with_its_reason(books: Books, body: str, reason: str) -> None:
    record = SQSRecord({"messageId": "m-1", "body": body, "attributes": {}})
    with pytest.raises(PoisonMessageError, match=reason):
        books.reconciler().process(record)


def test_an_unknown_account_is_poison(books: Books) -> None:
    with pytest.raises(PoisonMessageError, match="no balance and no ledger"):
        books.reconciler().process(request(run_id="r", account_id="ghost"))


def test_a_request_with_fields_it_does_not_read_is_accepted(books: Books) -> None:
    books.apply("acct-1", "t1", "3.00")
    report = books.reconciler().process(request(run_id="r", account_id="acct-1", requested_by="ops"))
    assert report["balance"] == str(Decimal("3.00"))
