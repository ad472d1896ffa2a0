"""Archive replay re-delivers to the deployed rule and state machine, and the effects do not double."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

from orders_functions.common.outputs import StackOutput
from tests.e2e.system import DeployedSystem, wait_for

STATE_MACHINE = "high-value-order-flow"


def _finished(system: DeployedSystem, order_id: str, count: int) -> bool:
    executions = system.executions_for(STATE_MACHINE, order_id)
    return len(executions) >= count and all(e["status"] != "RUNNING" for e in executions)


def test_replaying_the_archive_window_starts_the_flow_again_without_a_second_reservation(
    system: DeployedSystem,
) -> None:
    order_id = f"o-replay-{uuid.uuid4().hex[:8]}"
    start = datetime.now(UTC) - timedelta(seconds=1)
    events = system.client("events")
    detail = {
        "order_id": order_id,
        "customer_id": "c-replay",
        "customer_tier": "enterprise",
        "total": 2500.0,
        "currency": "USD",
        "item_count": 1,
        "correlation_id": f"corr-{order_id}",
    }
    events.put_events(
        Entries=[
            {
                "Source": "com.myapp.orders",
                "DetailType": "OrderCreated",
                "Detail": json.dumps(detail),
                "EventBusName": "orders",
            }
        ]
    )
    wait_for(lambda: _finished(system, order_id, 1), timeout=90, what="the first execution")
    table = system.table(StackOutput.WORKFLOW_TABLE)
    dynamodb = system.client("dynamodb")
    first = dynamodb.get_item(TableName=table, Key={"order_id": {"S": order_id}})["Item"]
    assert first["reservation"]["S"] == "RESERVED"

    time.sleep(1)
    bus_arn = events.describe_event_bus(Name="orders")["Arn"]
    archive_arn = events.describe_archive(ArchiveName="all-order-events")["ArchiveArn"]
    events.start_replay(
        ReplayName=f"replay-{order_id}",
        EventSourceArn=archive_arn,
        EventStartTime=start,
        EventEndTime=datetime.now(UTC),
        Destination={"Arn": bus_arn},
    )
    wait_for(lambda: _finished(system, order_id, 2), timeout=90, what="the replayed execution")
    executions = system.executions_for(STATE_MACHINE, order_id)
    assert [e["status"] for e in executions] == ["SUCCEEDED", "SUCCEEDED"]
    assert json.loads(executions[0]["input"]) == json.loads(executions[1]["input"])  # transformed the same way
    after = dynamodb.get_item(TableName=table, Key={"order_id": {"S": order_id}})["Item"]
    assert after["reserved_at"] == first["reserved_at"]  # the replay found the reservation and made none
