"""Which subscribers and rules receive an event, and why not, computed from the synthesized templates.

Filter policies and event patterns are evaluated with moto's SNS and EventBridge matchers,
the same ones the tests use, on the policies exactly as ``cdk synth`` rendered them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.events.models import EventPattern
from moto.sns.utils import FilterPolicyMatcher
from pydantic import ValidationError

from eventctl.errors import EventctlError
from orders_common.bus import ORDER_CREATED, ORDERS_SOURCE, OrderCreatedDetail
from orders_common.events import Delivery, OrderEvent, completed, message_attributes
from orders_common.limits import ORDER_EVENT_TYPES

SAMPLE_TIME = "2026-11-29T12:00:00Z"


@dataclass(frozen=True)
class Subscription:
    queue: str
    policy: dict[str, Any] | None
    scope: str | None

    def matches(self, message_attributes: dict[str, dict[str, str]], body: dict[str, Any]) -> bool:
        return filter_matches(self.policy, self.scope, message_attributes, body)

    def why_not(self, message_attributes: dict[str, dict[str, str]], body: dict[str, Any]) -> str:
        failing = [
            key
            for key, rules in (self.policy or {}).items()
            if not filter_matches({key: rules}, self.scope, message_attributes, body)
        ]
        where = "body" if self.scope == "MessageBody" else "attribute"
        return "; ".join(f"{where} {key} does not match {json.dumps(self.policy[key])}" for key in failing)  # type: ignore[index]


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: dict[str, Any]
    targets: list[str]

    def matches(self, event: dict[str, Any]) -> bool:
        return rule_matches(self.pattern, event)

    def why_not(self, event: dict[str, Any]) -> str:
        failing = []
        for key, value in self.pattern.items():
            if isinstance(value, dict):
                failing += [
                    f"{key}.{inner}" for inner, rules in value.items() if not rule_matches({key: {inner: rules}}, event)
                ]
            elif not rule_matches({key: value}, event):
                failing.append(key)
        return "; ".join(f"{name} does not match the pattern" for name in failing)


def filter_matches(
    policy: dict[str, Any] | None,
    scope: str | None,
    message_attributes: dict[str, dict[str, str]],
    body: dict[str, Any],
) -> bool:
    if not policy:
        return True
    stored = {name: {"Type": a["DataType"], "Value": a["StringValue"]} for name, a in message_attributes.items()}
    try:
        return bool(FilterPolicyMatcher(policy, scope).matches(stored, json.dumps(body)))
    except TypeError:
        # moto 5.2 compares a string body value with a numeric condition and crashes;
        # SNS treats a non-number as not matching a numeric condition.
        return False


def rule_matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    return bool(EventPattern(json.dumps(pattern), pattern).matches_event(event))  # type: ignore[arg-type]


def _templates(cdk_out: Path) -> list[dict[str, Any]]:
    files = sorted(cdk_out.glob("*.template.json"))
    if not files:
        raise EventctlError(f"no templates in {cdk_out}: run `make synth` first, or pass --cdk-out")
    return [json.loads(file.read_text()) for file in files]


def subscriptions(template: dict[str, Any]) -> list[Subscription]:
    resources = template["Resources"]
    found = []
    for resource in resources.values():
        if resource["Type"] != "AWS::SNS::Subscription":
            continue
        props = resource["Properties"]
        endpoint = props["Endpoint"]
        queue = (
            resources[endpoint["Fn::GetAtt"][0]]["Properties"]["QueueName"] if isinstance(endpoint, dict) else endpoint
        )
        found.append(Subscription(queue, props.get("FilterPolicy"), props.get("FilterPolicyScope")))
    return found


def rules(template: dict[str, Any]) -> list[Rule]:
    resources = template["Resources"]
    found = []
    for resource in resources.values():
        if resource["Type"] != "AWS::Events::Rule" or "EventPattern" not in resource["Properties"]:
            continue
        props = resource["Properties"]
        targets = []
        for target in props.get("Targets", []):
            arn = target["Arn"]
            ref = arn.get("Ref") if isinstance(arn, dict) else None
            target_props = resources.get(ref, {}).get("Properties", {}) if ref else {}
            targets.append(target_props.get("StateMachineName") or str(ref or arn))
        found.append(Rule(props.get("Name", "?"), props["EventPattern"], targets))
    return found


def load(cdk_out: Path) -> tuple[list[Subscription], list[Rule]]:
    templates = _templates(cdk_out)
    return (
        sorted((s for t in templates for s in subscriptions(t)), key=lambda s: s.queue),
        sorted((r for t in templates for r in rules(t)), key=lambda r: r.name),
    )


def sample_events() -> list[dict[str, Any]]:
    """Order events as order_processor publishes them."""
    base = {"customer_id": "c-001", "currency": "USD", "occurred_at": "2026-11-29T12:00:00+00:00"}
    return [
        {**base, "event_type": "order.created", "order_id": "o-small", "customer_tier": "standard", "amount": 120.5},
        {**base, "event_type": "order.created", "order_id": "o-vip", "customer_tier": "enterprise", "amount": 4200},
        {
            **base,
            "event_type": "order.created",
            "order_id": "o-premium-small",
            "customer_tier": "premium",
            "amount": 999,
        },
        {**base, "event_type": "order.cancelled", "order_id": "o-small", "customer_tier": "standard", "amount": 120.5},
        {
            **base,
            "event_type": "order.updated",
            "order_id": "o-vip",
            "update_id": "u-packed",
            "customer_tier": "enterprise",
            "note": "packed",
            "internal": True,
        },
        {
            **base,
            "event_type": "order.updated",
            "order_id": "o-vip",
            "update_id": "u-shipped",
            "customer_tier": "enterprise",
            "note": "shipped",
        },
    ]


def sns_message(event: dict[str, Any]) -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
    """The attributes and body order_processor publishes for ``event`` (its own code: one source of the shape)."""
    if event.get("event_type") not in ORDER_EVENT_TYPES:  # a type nobody here publishes: its type alone
        return {"event_type": {"DataType": "String", "StringValue": str(event.get("event_type", ""))}}, event
    filled = completed(Delivery(event, {}, "eventctl", SAMPLE_TIME, json.dumps(event)))
    try:
        published = OrderEvent.model_validate(filled)
    except ValidationError:  # an event a producer could not publish: route what it says, as it says it
        published = OrderEvent.model_construct(**filled)
    return message_attributes(published), event


def bus_event(event: dict[str, Any]) -> dict[str, Any] | None:
    """The OrderCreated event order_processor puts on the bus for ``event`` (None for other types)."""
    if event.get("event_type") != "order.created":
        return None
    defaults = {"currency": "USD", "customer_tier": "standard", "correlation_id": "eventctl"}
    detail = OrderCreatedDetail.model_validate({**defaults, **event, "total": event.get("amount")}).model_dump(
        exclude_none=True
    )
    return {
        "version": "0",
        "id": "sample",
        "detail-type": ORDER_CREATED,
        "source": ORDERS_SOURCE,
        "account": "000000000000",
        "time": SAMPLE_TIME,
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }
