"""balance-updates.fifo as deployed: order within an account, deduplication, exactly-once effects."""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal

from localcloud import demo
from localcloud.compat import sqs_fifo_deduplication
from tests.e2e.system import DeployedSystem, wait_for

QUEUE = "balance-updates.fifo"


def _send(system: DeployedSystem, account: str, transaction: str, amount: str, dedup: str | None = None) -> None:
    system.sqs.send_message(
        QueueUrl=system.queue_url(QUEUE),
        MessageBody=json.dumps({"account_id": account, "transaction_id": transaction, "amount": amount}),
        MessageGroupId=account,
        MessageDeduplicationId=dedup or transaction,
        MessageAttributes={"event_type": {"DataType": "String", "StringValue": "balance.charge"}},
    )


def _applied(system: DeployedSystem, account: str) -> list[dict[str, str]]:
    function = system.function_reading(QUEUE)
    return [
        e
        for e in system.log_entries(function)
        if e.get("message") == "balance update" and e.get("account_id") == account
    ]


def _balance(system: DeployedSystem, account: str) -> Decimal | None:
    return demo.balances(system.settings, [account]).get(account)


def test_updates_of_one_account_are_applied_in_the_order_sent_while_accounts_interleave(system: DeployedSystem) -> None:
    run = uuid.uuid4().hex[:8]
    accounts = [f"acct-{run}-{n}" for n in range(3)]
    for step in range(6):
        for account in accounts:
            _send(system, account, f"{account}.t{step}", "-1.00")
    for account in accounts:
        wait_for(lambda a=account: len(_applied(system, a)) >= 6, timeout=60, what=f"six updates of {account}")
        assert [e["transaction_id"] for e in _applied(system, account)] == [f"{account}.t{s}" for s in range(6)]
        assert _balance(system, account) == Decimal("-6.00")


def test_a_duplicate_sent_after_the_first_was_deleted_is_not_delivered_again(system: DeployedSystem) -> None:
    account = f"acct-{uuid.uuid4().hex[:8]}"
    sent = time.monotonic()
    _send(system, account, f"{account}.t1", "-5.00")
    wait_for(lambda: _applied(system, account), timeout=60, what="the first delivery")
    wait_for(lambda: system.queue_depth(QUEUE) == 0, timeout=30, what="the first message deleted")
    # The deduplication window is 5 minutes of the local cloud's clock (6 s at the e2e scale).
    window = system.settings.scaled(sqs_fifo_deduplication.DEDUPLICATION_INTERVAL_SECONDS)
    assert time.monotonic() - sent < window, f"the first delivery took longer than the {window} s window"
    _send(system, account, f"{account}.t1", "-5.00")  # same deduplication id, within the window
    _send(system, account, f"{account}.t2", "-1.00")  # a marker behind it in the same group
    wait_for(lambda: len(_applied(system, account)) >= 2, timeout=60, what="the marker")
    assert [e["transaction_id"] for e in _applied(system, account)] == [f"{account}.t1", f"{account}.t2"]
    assert _balance(system, account) == Decimal("-6.00")


def test_a_resend_with_a_new_deduplication_id_is_delivered_but_applied_once(system: DeployedSystem) -> None:
    account = f"acct-{uuid.uuid4().hex[:8]}"
    _send(system, account, f"{account}.t1", "-7.00")
    _send(system, account, f"{account}.t1", "-7.00", dedup=f"{account}.resend")
    wait_for(lambda: len(_applied(system, account)) >= 2, timeout=60, what="both deliveries")
    outcomes = [e.get("outcome") for e in _applied(system, account)]
    assert outcomes[0] != outcomes[1], outcomes  # the second delivery is recognised by the ledger
    assert _balance(system, account) == Decimal("-7.00")
