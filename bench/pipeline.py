"""Orders through the whole deployed app on the local cloud: throughput, nothing lost, nothing doubled.

A local cloud of its own (port 4620, visibility x0.02), deployed with the cdk CLI as ``make demo``
does; then ``orders`` order.created messages (1 % of them high-value premium orders, which start
the state machine) are sent in batches of 10 to order-processing, keeping its backlog under 200,
and the clock runs until the system is quiet. Checked afterwards, per order: stored once, payment authorised once, one
notification, one ledger entry (charge) and each account's balance exactly minus its orders; the
high-value ones each ran the flow once; every DLQ empty.
"""

from __future__ import annotations

import dataclasses
import json
import random
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.process_profile import ProcessTreeProfile
from localcloud import demo, server
from localcloud.deploy import deploy
from localcloud.settings import LocalCloudSettings
from orders_functions.balance_updater.service import balance_of, ledger_transaction
from orders_functions.common.outputs import StackOutput

PORT = 4620
HIGH_VALUE_SHARE = 0.01
MAX_BACKLOG = 200


def orders(count: int, run: str, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    made = []
    for n in range(count):
        high = rng.random() < HIGH_VALUE_SHARE
        total = Decimal(rng.randint(150_000, 900_000) if high else rng.randint(500, 90_000)) / 100
        made.append(
            {
                "event_type": "order.created",
                "order_id": f"p-{run}-{n:05d}",
                "customer_id": f"acct-{run}-{rng.randint(1, 200):03d}",
                "customer_tier": "premium" if high else "standard",
                "total": f"{total:.2f}",
                "currency": "USD",
                "items": [{"sku": "sku-1", "quantity": 1, "unit_price": f"{total:.2f}"}],
            }
        )
    return made


def _send(settings: LocalCloudSettings, batch: list[dict[str, Any]], run: str) -> None:
    """Send in batches of 10, holding the order queue's backlog under MAX_BACKLOG (closed loop): moto
    counts a queue's messages on every send and receive, so a backlog of thousands would measure moto."""
    sqs = settings.client("sqs")
    url = demo.outputs(settings)[StackOutput.ORDER_QUEUE]
    for start in range(0, len(batch), 10):
        if start % (MAX_BACKLOG // 2) == 0:
            while sum(demo.depth(sqs, url)) > MAX_BACKLOG:
                time.sleep(0.5)
        entries = [
            {
                "Id": str(i),
                "MessageBody": json.dumps(order),
                "MessageAttributes": {
                    "event_type": {"DataType": "String", "StringValue": "order.created"},
                    "correlation_id": {"DataType": "String", "StringValue": f"bench-{run}-{order['order_id']}"},
                },
            }
            for i, order in enumerate(batch[start : start + 10])
        ]
        response = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if response.get("Failed"):
            raise RuntimeError(f"send failed: {response['Failed']}")


def verify(settings: LocalCloudSettings, sent: list[dict[str, Any]], run: str) -> dict[str, Any]:
    ids = {o["order_id"] for o in sent}
    stored = [i["order_id"]["S"] for i in demo.scan(settings, StackOutput.ORDERS_TABLE) if i["order_id"]["S"] in ids]
    payments = [
        i["order_id"]["S"] for i in demo.scan(settings, StackOutput.PAYMENTS_TABLE) if i["order_id"]["S"] in ids
    ]
    notified = [
        i["order_id"]["S"]
        for i in demo.scan(settings, StackOutput.NOTIFICATIONS_TABLE)
        if i.get("order_id", {}).get("S") in ids
    ]
    ledger: list[str] = []
    balances: dict[str, Decimal] = {}
    for item in demo.scan(settings, StackOutput.BALANCES_TABLE):
        if not item["account_id"]["S"].startswith(f"acct-{run}-"):
            continue
        transaction = ledger_transaction(item)
        if transaction is not None:
            ledger.append(transaction)
        else:
            balances[item["account_id"]["S"]] = balance_of(item)
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for order in sent:
        expected[order["customer_id"]] -= Decimal(order["total"])
    high_value = [o["order_id"] for o in sent if o["customer_tier"] == "premium"]
    executions = demo.executions(settings, run)
    dead = {name: len(messages) for name, messages in demo.dead_letters(settings).items()}
    return {
        "sent": len(sent),
        "stored_once": len(set(stored)) == len(stored) == len(ids),
        "paid_once": len(set(payments)) == len(payments) == len(ids),
        "notified_once": len(set(notified)) == len(notified) == len(ids),
        "ledger_entries": len(ledger),
        "balances_exact": dict(expected) == balances,
        "high_value_orders": len(high_value),
        "flows_run": len(executions),
        "flows_succeeded": sum(e["status"] == "SUCCEEDED" for e in executions),
        "dead_letters": dead,
    }


def run(results: dict[str, Any], count: int = 10_000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as state:
        settings = LocalCloudSettings.from_environment()
        settings = dataclasses.replace(settings, port=PORT, time_scale=0.02, state_dir=Path(state))
        server.up(settings)
        try:
            deployed = time.monotonic()
            deploy(settings)
            print(
                f"deployed in {time.monotonic() - deployed:.0f} s; sending {count} orders"
                f" (functions run up to {settings.max_concurrency} invocations at once)",
                flush=True,
            )
            run_id = time.strftime("%H%M%S")
            sent = orders(count, run_id)
            profile = ProcessTreeProfile(int((settings.state_dir / "server.pid").read_text()))
            profile.sample()
            cpu_before = profile.cpu_seconds()
            profile.start()
            started = time.monotonic()
            _send(settings, sent, run_id)
            sending = time.monotonic() - started
            demo.wait_until_quiet(settings, timeout_seconds=max(600, count), interval=3)
            elapsed = time.monotonic() - started
            profile.stop()
            cpu = {k: v - cpu_before.get(k, 0.0) for k, v in sorted(profile.cpu_seconds().items())}
            checks = verify(settings, sent, run_id)
        finally:
            server.down(settings)
    lost_or_doubled = (
        not (checks["stored_once"] and checks["paid_once"] and checks["notified_once"] and checks["balances_exact"])
        or checks["ledger_entries"] != count
        or checks["flows_run"] != checks["high_value_orders"]
        or checks["dead_letters"]
    )
    return {
        "orders": count,
        "send_seconds": round(sending, 1),
        "end_to_end_seconds": round(elapsed, 1),
        "orders_per_second": round(count / elapsed, 1),
        "max_concurrency": settings.max_concurrency,
        "cpu_ms_per_order": {component: round(1000 * seconds / count, 1) for component, seconds in cpu.items()},
        "peak_memory_mib": round(profile.peak_rss_bytes / 2**20),
        "checks": checks,
        "zero_lost_none_doubled": not lost_or_doubled,
    }
