"""The reconciliation worker end to end: the app's ECS service, run by the local cloud as a process of its
container's command, checks accounts against their ledgers from the deployed queue, as `make demo` shows."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

from localcloud import demo
from orders_functions.balance_updater.models import BalanceUpdate
from orders_functions.balance_updater.service import BalanceLedger, balance_key
from orders_functions.common.outputs import StackOutput
from tests.e2e.system import DeployedSystem


def test_the_worker_reports_each_account_balanced_or_not(system: DeployedSystem) -> None:
    run = uuid.uuid4().hex[:8]
    dynamodb = system.client("dynamodb")
    ledger = BalanceLedger(dynamodb, system.table(StackOutput.BALANCES_TABLE))
    kept, tampered = f"rec-{run}-kept", f"rec-{run}-tampered"
    for account in (kept, tampered):
        for n, amount in enumerate(("100.00", "-30.25", "5.50")):
            ledger.apply(BalanceUpdate(account_id=account, transaction_id=f"t{n}", amount=Decimal(amount)))
    dynamodb.update_item(  # behind the ledger's back: what reconciliation exists to catch
        TableName=system.table(StackOutput.BALANCES_TABLE),
        Key=balance_key(tampered),
        UpdateExpression="SET balance = :b",
        ExpressionAttributeValues={":b": {"N": "999.99"}},
    )

    reports = demo.reconcile(system.settings, f"e2e-{run}", [kept, tampered], timeout_seconds=120)

    assert (reports[kept]["status"], reports[kept]["balance"], reports[kept]["ledger_entries"]) == (
        "balanced",
        "75.25",
        3,
    )
    assert (reports[tampered]["status"], reports[tampered]["difference"]) == ("mismatch", "924.74")
    # The task's output, in the local cloud's logs (named after the ECS service): the worker's JSON lines.
    lines = [
        json.loads(line)
        for log in (system.settings.state_dir / "logs").glob("*.log")
        for line in log.read_text().splitlines()
        if line.startswith("{") and '"service":"reconciliation"' in line
    ]
    assert any(line.get("message") == "worker started" for line in lines)
    mismatch = next(line for line in lines if line.get("message") == "balance does not match the ledger")
    assert mismatch["account_id"] == tampered and mismatch["correlation_id"]
