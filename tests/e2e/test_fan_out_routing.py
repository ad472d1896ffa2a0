"""The fan-out routing table, on the deployed topic and subscriptions (filter policies as deployed)."""

from __future__ import annotations

import json
import uuid

from tests.e2e.system import DeployedSystem
from tests.routing import order_event_routes


def test_each_subscriber_receives_exactly_the_events_of_the_routing_table(system: DeployedSystem) -> None:
    routes = order_event_routes()
    subscribers = routes["subscribers"]
    topic = system.topic_arn("order-events")
    sns = system.client("sns")
    run = uuid.uuid4().hex[:8]
    with system.consumers_paused(*subscribers):
        for event in routes["events"]:
            body = {**event["body"], "order_id": f"{event['body']['order_id']}-{run}"}
            sns.publish(TopicArn=topic, Message=json.dumps(body), MessageAttributes=event["message_attributes"])
        received: dict[str, set[str]] = {}
        for subscriber in subscribers:
            for message in system.drain(subscriber):
                body = json.loads(message["Body"])
                body = json.loads(body["Message"]) if "TopicArn" in body else body  # raw delivery or envelope
                received.setdefault(body["order_id"], set()).add(subscriber)
    mismatches = {
        event["name"]: {"expected": sorted(event["expected"]), "received": sorted(received.get(order_id, set()))}
        for event in routes["events"]
        if (order_id := f"{event['body']['order_id']}-{run}")
        and sorted(received.get(order_id, set())) != sorted(event["expected"])
    }
    assert not mismatches, f"deployed routing differs from tests/data/order_event_routes.json: {mismatches}"
    assert len(routes["events"]) >= 20
