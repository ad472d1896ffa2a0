"""The exactly-once invariants on the deployed system, under the adversities the local cloud can make.

- a cancellation sent before its order (it is kept; the order arrives later and is cancelled);
- an outage of the workflow table during a compensation (the account-manager step fails, then the
  release fails while the table is unreachable, until it comes back);
- duplicates of every message, sent again once the run has settled (on this cloud's time scale
  of 0.02, the minute between them stands for most of an hour; the days-later duplicates are the
  generated histories' job, whose clock jumps);
- a replay of the whole archive (the local cloud replays every archived event, whatever the window).

Then the same invariants as the histories: balances exact, one charge and one refund per order at
most and a refund only with its charge, one notification and one lake object per event id, one
decision per high-value order (no approval without held stock), nothing in a DLQ of this run.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from localcloud import demo
from orders_functions.common.outputs import StackOutput
from tests.e2e.system import DeployedSystem, wait_for

STATE_MACHINE = "high-value-order-flow"


def _order(order_id: str, customer: str, tier: str, total: str) -> dict[str, Any]:
    return {
        "event_type": "order.created",
        "order_id": order_id,
        "customer_id": customer,
        "customer_tier": tier,
        "total": total,
        "currency": "USD",
        "items": [{"sku": "sku-1", "quantity": 1, "unit_price": total}],
    }


def _send(system: DeployedSystem, bodies: list[dict[str, Any]]) -> None:
    url = system.queue_url("order-processing")
    for body in bodies:
        system.sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps(body),
            MessageAttributes={"correlation_id": {"DataType": "String", "StringValue": f"corr-{body['order_id']}"}},
        )


def _function(system: DeployedSystem, handler: str) -> str:
    functions = system.client("lambda").list_functions()["Functions"]
    return next(f["FunctionName"] for f in functions if f["Handler"] == handler)


@contextmanager
def _unreachable_table(system: DeployedSystem, handler: str) -> Iterator[None]:
    """The function's workflow table cannot be found while the block runs (an outage of the table)."""
    function = _function(system, handler)
    environment = system.client("lambda").get_function_configuration(FunctionName=function)["Environment"]
    broken = {"Variables": {**environment["Variables"], "WORKFLOW_TABLE": "unreachable"}}
    with system.reconfigured(function, Environment=broken):
        yield


def _release_failures(system: DeployedSystem, order_id: str) -> int:
    sfn = system.client("stepfunctions")
    failures = 0
    for execution in system.executions_for(STATE_MACHINE, order_id):
        history = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
        in_release = False
        for event in history:
            name = (event.get("stateEnteredEventDetails") or {}).get("name")
            if name is not None:
                in_release = name == "Release inventory"
            failures += in_release and event["type"] in ("LambdaFunctionFailed", "TaskFailed")
    return failures


def _states(system: DeployedSystem, execution: dict[str, Any]) -> list[str]:
    history = system.client("stepfunctions").get_execution_history(
        executionArn=execution["executionArn"], maxResults=1000
    )["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]


def _quiet(system: DeployedSystem) -> None:
    demo.wait_until_quiet(system.settings, timeout_seconds=600, interval=1)


def test_exactly_once_effects_survive_reordering_outages_late_duplicates_and_a_full_replay(  # noqa: PLR0915
    system: DeployedSystem,
) -> None:
    run = uuid.uuid4().hex[:6]
    one, two = f"acct-{run}-1", f"acct-{run}-2"
    orders = {
        "plain": _order(f"x-{run}-plain", one, "standard", "120.00"),
        "cancelled first": _order(f"x-{run}-early", one, "premium", "300.00"),
        "high value": _order(f"x-{run}-big", two, "enterprise", "2500.00"),
        "compensated": _order(f"x-{run}-comp", two, "enterprise", "15000.00"),
        "cancelled after": _order(f"x-{run}-late", two, "standard", "45.50"),
    }
    cancel_first = {"event_type": "order.cancelled", "order_id": orders["cancelled first"]["order_id"]}
    cancel_after = {"event_type": "order.cancelled", "order_id": orders["cancelled after"]["order_id"]}
    started = datetime.now(UTC) - timedelta(seconds=1)

    # 1. A cancellation before its order: kept, nothing announced.
    _send(system, [cancel_first])
    _quiet(system)
    (kept,) = [
        i
        for i in demo.scan(system.settings, StackOutput.ORDERS_TABLE)
        if i["order_id"]["S"] == cancel_first["order_id"]
    ]
    assert kept["status"]["S"] == "AWAITING_ORDER"

    # 2. The orders; the account-manager step fails, and the release meets an outage of its table.
    with _unreachable_table(system, "orders_functions.workflow.handler.assign_account_manager"):
        with _unreachable_table(system, "orders_functions.workflow.handler.release_inventory"):
            _send(system, list(orders.values()))
            wait_for(
                lambda: _release_failures(system, orders["compensated"]["order_id"]) >= 2,
                timeout=180,
                what="the release failing during the outage of its table",
            )
        _quiet(system)  # the table is back: the release's retries succeed
    _send(system, [cancel_after])
    _quiet(system)

    # 3. Every message again, once all has settled; then the whole archive replayed.
    time.sleep(30)
    _send(system, [*orders.values(), cancel_first, cancel_after])
    _quiet(system)
    workflow_before = {i["order_id"]["S"]: i for i in demo.scan(system.settings, StackOutput.WORKFLOW_TABLE)}
    events = system.client("events")
    events.start_replay(
        ReplayName=f"everything-{run}",
        EventSourceArn=events.describe_archive(ArchiveName="all-order-events")["ArchiveArn"],
        EventStartTime=started,
        EventEndTime=datetime.now(UTC),
        Destination={"Arn": events.describe_event_bus(Name="orders")["Arn"]},
    )
    wait_for(
        lambda: len(system.executions_for(STATE_MACHINE, orders["high value"]["order_id"])) >= 2,
        timeout=180,
        what="the replayed executions",
    )
    _quiet(system)

    # --- the invariants -------------------------------------------------------------------------
    ids = {o["order_id"] for o in orders.values()}
    stored = {
        i["order_id"]["S"]: i for i in demo.scan(system.settings, StackOutput.ORDERS_TABLE) if i["order_id"]["S"] in ids
    }
    assert {k: v["status"]["S"] for k, v in stored.items()} == {
        orders["plain"]["order_id"]: "CREATED",
        orders["cancelled first"]["order_id"]: "CANCELLED",
        orders["high value"]["order_id"]: "CREATED",
        orders["compensated"]["order_id"]: "CREATED",
        orders["cancelled after"]["order_id"]: "CANCELLED",
    }

    # Money: exact balances; one charge and one refund per order at most; a refund only with its charge.
    items = [i for i in demo.scan(system.settings, StackOutput.BALANCES_TABLE) if i["account_id"]["S"] in (one, two)]
    balances = {i["account_id"]["S"]: Decimal(i["balance"]["N"]) for i in items if i["entry"]["S"] == "BALANCE"}
    assert balances == {one: Decimal("-120.00"), two: Decimal("-17500.00")}  # cancelled orders net 0
    ledger = Counter(i["entry"]["S"] for i in items if i["entry"]["S"] != "BALANCE")
    assert set(ledger.values()) == {1}
    for entry in ledger:
        if entry.endswith(".refund"):
            assert entry.removesuffix(".refund") + ".charge" in ledger, entry
    for account in (one, two):
        entries = [i for i in items if i["account_id"]["S"] == account and i["entry"]["S"] != "BALANCE"]
        assert sum(Decimal(i["amount"]["N"]) for i in entries) == balances[account]

    # One notification and one lake object per public event id.
    public = {f"{o['order_id']}/order.created" for o in orders.values()} | {
        f"{cancel_first['order_id']}/order.cancelled",
        f"{cancel_after['order_id']}/order.cancelled",
    }
    notified = Counter(
        i["notification_id"]["S"]
        for i in demo.scan(system.settings, StackOutput.NOTIFICATIONS_TABLE)
        if i["order_id"]["S"] in ids
    )
    assert notified == Counter(public)
    s3 = system.client("s3")
    bucket = next(
        b["Name"] for b in s3.list_buckets()["Buckets"] if "data-lake" in b["Name"] and "logs" not in b["Name"]
    )
    in_lake: Counter[str] = Counter()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="events/"):
        for item in page.get("Contents", []):
            line = json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            if line["event"].get("order_id") in ids:
                in_lake[line["event_id"]] += 1
    assert in_lake == Counter(public)

    # One decision per high-value order, whatever the replays did.
    big = system.executions_for(STATE_MACHINE, orders["high value"]["order_id"])
    compensated = system.executions_for(STATE_MACHINE, orders["compensated"]["order_id"])
    workflow = {i["order_id"]["S"]: i for i in demo.scan(system.settings, StackOutput.WORKFLOW_TABLE)}
    approved = [e for e in big if "Approved" in _states(system, e)]
    assert len(approved) == 1 and len(big) >= 2
    assert all("Already handled" in _states(system, e) for e in big if e not in approved)
    assert workflow[orders["high value"]["order_id"]]["held_by"]["S"] == approved[0]["executionArn"]
    assert workflow[orders["high value"]["order_id"]]["reservation"]["S"] == "RESERVED"
    first, *again = sorted(compensated, key=lambda e: e["startDate"])
    assert (first["status"], _states(system, first)[-1]) == ("FAILED", "Failed and compensated")
    assert workflow[orders["compensated"]["order_id"]]["reservation"]["S"] == "RELEASED"
    assert again and all(_states(system, e)[-1] == "Already handled" for e in again)
    # The replay changed no outcome of any order decided before it (this run's or any earlier one's).
    for order_id, item in workflow_before.items():
        assert workflow[order_id] == item, order_id

    # Nothing of this run in any DLQ.
    held = demo.dead_letters(system.settings)
    assert [m for messages in held.values() for m in messages if f"x-{run}-" in m["body"]] == []
