"""The routing tables, as data, and evaluation of synthesized filter policies and patterns with event_routing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventctl.routes import filter_matches, rule_matches
from localcloud.compat.events_input_transformer import render

DATA = Path(__file__).resolve().parent / "data"
ORDER_EVENT_ROUTES = DATA / "order_event_routes.json"


def order_event_routes() -> dict[str, Any]:
    return json.loads(ORDER_EVENT_ROUTES.read_text())


@dataclass(frozen=True)
class SubscriptionFilter:
    subscriber: str
    policy: dict[str, Any] | None
    scope: str | None

    def matches(self, message_attributes: dict[str, dict[str, str]], body: dict[str, Any]) -> bool:
        return filter_matches(self.policy, self.scope, message_attributes, body)


def subscription_filters(template: dict[str, Any]) -> dict[str, SubscriptionFilter]:
    """Subscriber queue name -> its filter, read from a synthesized template."""
    resources = template["Resources"]
    filters = {}
    for resource in resources.values():
        if resource["Type"] != "AWS::SNS::Subscription":
            continue
        props = resource["Properties"]
        queue = resources[props["Endpoint"]["Fn::GetAtt"][0]]["Properties"]["QueueName"]
        filters[queue] = SubscriptionFilter(queue, props.get("FilterPolicy"), props.get("FilterPolicyScope"))
    return filters


HIGH_VALUE_ROUTES = DATA / "high_value_routes.json"


def high_value_routes() -> dict[str, Any]:
    return json.loads(HIGH_VALUE_ROUTES.read_text())


__all__ = ["apply_input_transformer", "high_value_routes", "order_event_routes", "rule_matches", "subscription_filters"]


def apply_input_transformer(paths_map: dict[str, str], template: str, event: dict[str, Any]) -> Any:
    """What EventBridge delivers for ``event`` (the local cloud's rendering, with AWS's quoting rules)."""
    return render({"InputPathsMap": paths_map, "InputTemplate": template}, event)
