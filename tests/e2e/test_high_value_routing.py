"""The EventBridge pattern table and the InputTransformer, on the deployed bus, rule and state machine."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from tests.e2e.system import DeployedSystem, wait_for
from tests.routing import high_value_routes

STATE_MACHINE = "high-value-order-flow"


def _put(system: DeployedSystem, event: dict[str, Any]) -> None:
    response = system.client("events").put_events(
        Entries=[
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "EventBusName": "orders",
            }
        ]
    )
    assert response["FailedEntryCount"] == 0, response


def test_the_rule_starts_an_execution_for_exactly_the_routed_events_with_the_transformed_input(
    system: DeployedSystem,
) -> None:
    run = uuid.uuid4().hex[:8]
    table = high_value_routes()["events"]
    for row in table:
        event = json.loads(json.dumps(row["event"]))
        event["detail"]["order_id"] = f"{event['detail'].get('order_id', row['name'])}-{run}"
        row["order_id"] = event["detail"]["order_id"]
        row["sent"] = event
        _put(system, event)
    routed = [row for row in table if row["routed"]]
    unrouted = [row for row in table if not row["routed"]]
    assert routed and unrouted

    def all_routed_finished() -> bool:
        for row in routed:
            executions = system.executions_for(STATE_MACHINE, row["order_id"])
            if not executions or any(e["status"] == "RUNNING" for e in executions):
                return False
        return True

    wait_for(all_routed_finished, timeout=120, what="an execution for every routed event")
    for row in routed:
        executions = system.executions_for(STATE_MACHINE, row["order_id"])
        assert len(executions) == 1, (row["name"], len(executions))
        detail = row["sent"]["detail"]
        received = json.loads(executions[0]["input"], parse_float=Decimal)
        # The InputTransformer's output as the execution received it: strings quoted, numbers as numbers.
        assert received == {
            "order_id": detail["order_id"],
            "customer_id": detail["customer_id"],
            "amount": Decimal(str(detail["total"])),
            "correlation_id": detail["correlation_id"],
            "priority": "high",
        }, row["name"]
    for row in unrouted:
        assert system.executions_for(STATE_MACHINE, row["order_id"]) == [], f"{row['name']} must not be routed"
