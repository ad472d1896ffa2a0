"""The reconciliation worker's entry point against moto: settings from the environment, as the stack sets them."""

from __future__ import annotations

import json

import pytest

from event_runtime.attempts import MESSAGE_KEY_ATTRIBUTE
from event_runtime.environment import WorkerSettings
from orders_functions.reconciliation import worker
from orders_functions.reconciliation.service import report_key
from orders_functions.reconciliation.settings import ReconciliationSettings
from tests.orders_functions.conftest import create_table
from tests.orders_functions.reconciliation.conftest import BALANCES, REPORTS, Books


def test_the_worker_checks_every_account_a_run_asks_for(books: Books, monkeypatch: pytest.MonkeyPatch) -> None:
    """As the stack configures it (tests/app/test_least_privilege.py judges its task role by these calls)."""
    create_table("attempts", [(MESSAGE_KEY_ATTRIBUTE, "HASH")])
    environment = {
        **ReconciliationSettings(balances_table=BALANCES, reports_bucket=REPORTS).to_environment(),
        **WorkerSettings(
            queue_url=books.queue_url,
            dead_letter_queue_url=books.dead_letter_queue_url,
            max_attempts=3,
            max_receive_count=10,
            visibility_timeout_seconds=30,
            heartbeat_seconds=10,
            max_in_hand_seconds=600,
            drain_seconds=2,
            concurrency=4,
            batch_size=10,
            attempts_table="attempts",
        ).to_environment(),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    for n in range(12):
        books.apply(f"acct-{n}", "t1", f"{n}.50")
    books.tamper("acct-7", "0.01")
    books.sqs.send_message(QueueUrl=books.queue_url, MessageBody=json.dumps({"run_id": "r1", "all_accounts": True}))
    books.sqs.send_message(QueueUrl=books.queue_url, MessageBody="not a request")

    report = worker.build_worker().run(until_idle=True)

    statuses = {n: books.report(report_key("r1", f"acct-{n}"))["status"] for n in range(12)}
    assert statuses == {n: "mismatch" if n == 7 else "balanced" for n in range(12)}
    assert (report.succeeded, report.dead_lettered) == (13, 1)  # the run, its 12 checks; the poison request
    dead = books.sqs.receive_message(QueueUrl=books.dead_letter_queue_url, MessageAttributeNames=["All"])
    (poison,) = dead["Messages"]
    assert poison["MessageAttributes"]["failure_kind"]["StringValue"] == "poison"
