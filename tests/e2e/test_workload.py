"""The demo's workload, end to end: every path, then the balances, the DLQ reasons and no doubled effect."""

from __future__ import annotations

import json
import uuid

from localcloud import demo
from localcloud.workload import cases, expected_balances
from tests.e2e.system import DeployedSystem


def test_the_workload_ends_with_the_expected_balances_and_each_bad_message_in_the_dlq_with_its_reason(
    system: DeployedSystem,
) -> None:
    run = uuid.uuid4().hex[:6]
    demo.send(system.settings, cases(run))
    demo.wait_until_quiet(system.settings, timeout_seconds=180)
    report = demo.gather(system.settings, run)

    # The duplicate order was charged once; the cancellation refunded; the invalid order charged nothing.
    assert report.balances == expected_balances(run)

    held = [m for m in report.dead_letters.get("order-processing-dlq", []) if f"o-{run}-" in m["body"]]
    reasons = " | ".join(m["reason"] for m in held)
    assert "body is not JSON" in reasons
    assert "total: Value error, money as text is digits" in reasons

    high_value = {e["input"]["order_id"]: e for e in report.executions}
    assert set(high_value) == {f"o-{run}-05", f"o-{run}-06"}
    assert all(e["status"] == "SUCCEEDED" for e in high_value.values())
    assert "account_manager" in json.dumps(high_value[f"o-{run}-05"]["output"])

    assert report.received["payment-processing"] == {"order.created": 7, "order.cancelled": 1}
    assert report.received["notification-service"]["order.updated"] == 1  # the internal update is filtered out
    assert report.received["analytics-ingestion"]["order.updated"] == 2
