"""The producers of the source chapter, as a new user would point them at the deployed app.

The chapter's producers send: an order to ``order-processing`` with its own fields (``event_type``,
``order_id``, ``customer_id``, ``amount``) and attributes (``EventType``, a ``Timestamp`` in ms), a
``retry_count`` with ``DelaySeconds`` when it resends; an order event straight to ``order-events``
(``event_type`` and ``amount`` as attributes, no event id, time or correlation id); a balance update to
``balance-updates.fifo`` (``account_id``, a float ``amount``, ``transaction_id``; the group is the
account and the deduplication id the transaction). :class:`ChapterProducers` sends exactly those
shapes (the chapter's code is not copied here; only its endpoint and queue URLs would differ). Every
message must be handled as the chapter expects: stored, paid, notified, analysed, applied in order, or
routed to the flow, and nothing of this run may end in a DLQ.

(On AWS the producer-only policies of the entry points let only the operators' roles publish to the
topic directly; the local cloud evaluates no policies.)
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from localcloud import demo
from orders_functions.common.outputs import StackOutput
from tests.e2e.system import DeployedSystem, wait_for


@dataclass
class ChapterProducers:
    system: DeployedSystem

    def send_order(self, message: dict[str, Any]) -> None:
        """An order as the chapter sends it: attributes EventType and Timestamp, a delay when it is a retry."""
        params: dict[str, Any] = {
            "QueueUrl": self.system.queue_url("order-processing"),
            "MessageBody": json.dumps(message),
            "MessageAttributes": {
                "EventType": {"DataType": "String", "StringValue": message.get("event_type", "unknown")},
                "Timestamp": {"DataType": "Number", "StringValue": str(int(time.time() * 1000))},
            },
        }
        if message.get("retry_count", 0) > 0:
            params["DelaySeconds"] = min(900, 2 ** message["retry_count"] * 10)
        self.system.sqs.send_message(**params)

    def send_balance_update(self, account_id: str, amount: float, transaction_id: str) -> None:
        self.system.sqs.send_message(
            QueueUrl=self.system.queue_url("balance-updates.fifo"),
            MessageBody=json.dumps({"account_id": account_id, "amount": amount, "transaction_id": transaction_id}),
            MessageGroupId=account_id,
            MessageDeduplicationId=transaction_id,
        )

    def publish_order_event(self, event: dict[str, Any]) -> None:
        self.system.client("sns").publish(
            TopicArn=self.system.topic_arn("order-events"),
            Message=json.dumps(event),
            MessageAttributes={
                "event_type": {"DataType": "String", "StringValue": event["event_type"]},
                "amount": {"DataType": "Number", "StringValue": str(event.get("amount", 0))},
            },
        )


def _items(system: DeployedSystem, table: StackOutput, key: str) -> dict[str, dict[str, Any]]:
    return {item[key]["S"]: item for item in demo.scan(system.settings, table)}


def test_the_chapters_producers_are_served_on_every_path(system: DeployedSystem) -> None:
    run = uuid.uuid4().hex[:6]
    chapter = ChapterProducers(system)
    plain, retried, big, published = (f"ch-{run}-{kind}" for kind in ("plain", "retried", "big", "published"))
    account = f"acct-ch-{run}"

    chapter.send_order({"event_type": "order.created", "order_id": plain, "customer_id": account, "amount": 120.5})
    chapter.send_order(  # its retry bookkeeping: retry_count in the body, and a delay
        {"event_type": "order.created", "order_id": retried, "customer_id": account, "amount": 30, "retry_count": 1}
    )
    chapter.send_order(  # a high-value order: routed to the flow
        {
            "event_type": "order.created",
            "order_id": big,
            "customer_id": f"{account}-vip",
            "customer_tier": "enterprise",
            "amount": 2500,
        }
    )
    chapter.publish_order_event(
        {"event_type": "order.created", "order_id": published, "customer_id": f"{account}-direct", "amount": 42.0}
    )
    chapter.publish_order_event({"event_type": "order.shipped", "order_id": plain, "customer_id": account})
    chapter.send_balance_update(f"{account}-ledger", -10.5, f"t-{run}-1")
    chapter.send_balance_update(f"{account}-ledger", 3.25, f"t-{run}-2")

    time.sleep(25)  # the retried order's DelaySeconds (20 s: the local cloud does not scale delays)
    demo.wait_until_quiet(system.settings, timeout_seconds=300, interval=1)

    orders = _items(system, StackOutput.ORDERS_TABLE, "order_id")
    assert {plain, retried, big} <= set(orders), "stored"
    assert orders[plain]["total"]["N"] in ("120.5", "120.50")
    payments = _items(system, StackOutput.PAYMENTS_TABLE, "order_id")
    for order_id in (plain, retried, big, published):
        assert payments[order_id]["status"]["S"] == "CHARGE_SENT", f"{order_id} paid"
    notified = _items(system, StackOutput.NOTIFICATIONS_TABLE, "notification_id")
    for order_id in (plain, retried, big, published):
        assert f"{order_id}/order.created" in notified, f"{order_id} notified once, under its derived event id"
    wait_for(
        lambda: len(system.executions_for("high-value-order-flow", big)) >= 1,
        timeout=120,
        what="the flow for the order",
    )
    balances = demo.balances(system.settings, [account, f"{account}-direct", f"{account}-ledger"])
    assert balances[account] == Decimal("-150.50")
    assert balances[f"{account}-direct"] == Decimal("-42.00")
    assert balances[f"{account}-ledger"] == Decimal("-7.25")  # both updates, in order

    s3 = system.client("s3")
    bucket = next(
        b["Name"] for b in s3.list_buckets()["Buckets"] if "data-lake" in b["Name"] and "logs" not in b["Name"]
    )
    in_lake = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="events/"):
        for item in page.get("Contents", []):
            line = json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            if f"ch-{run}-" in line["event"].get("order_id", ""):
                in_lake.add(line["event_id"])
    assert {f"{published}/order.created", f"{plain}/order.created", f"{plain}/order.shipped"} <= in_lake

    held = demo.dead_letters(system.settings)
    assert [m for messages in held.values() for m in messages if f"ch-{run}-" in m["body"] or run in m["body"]] == []
