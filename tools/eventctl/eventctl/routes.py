"""Which subscribers and rules receive an event, and why not, computed from the synthesized templates.

Filter policies and event patterns are decided by :mod:`event_routing` (AWS's documented rules,
checked against a corpus of AWS's own examples), the engine the library validates with at synth
and the local cloud routes with, on the policies exactly as ``cdk synth`` rendered them. A policy
or pattern AWS would refuse is reported as such, in one line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from event_routing.eventbridge import event_pattern_problems, matches_event_pattern
from event_routing.sns import filter_policy_problems, matches_filter_policy
from event_runtime.errors import PoisonMessageError
from eventctl.errors import EventctlError
from orders_functions.common.bus import ORDER_CREATED, ORDERS_SOURCE, OrderCreatedDetail
from orders_functions.common.events import Delivery, OrderEvent, completed, message_attributes
from orders_functions.common.limits import ORDER_EVENT_TYPES

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
    return matches_filter_policy(
        policy, scope=_scope(scope), message_attributes=message_attributes, body=json.dumps(body)
    )


def rule_matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    return matches_event_pattern(pattern, event)


def _scope(scope: str | None) -> Any:
    return "MessageBody" if scope == "MessageBody" else "MessageAttributes"


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
        policy, scope = props.get("FilterPolicy"), props.get("FilterPolicyScope")
        for problem in filter_policy_problems(policy, _scope(scope)) if policy else []:
            raise EventctlError(f"the filter policy of {queue}'s subscription is one SNS would refuse: {problem}")
        found.append(Subscription(queue, policy, scope))
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
        for problem in event_pattern_problems(props["EventPattern"]):
            raise EventctlError(
                f"the pattern of rule {props.get('Name', '?')} is one EventBridge would refuse: {problem}"
            )
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
    try:
        filled = completed(Delivery(event, {}, "eventctl", SAMPLE_TIME, json.dumps(event)))
    except PoisonMessageError:  # a consumer would dead-letter it; the filters still see what it says
        filled = dict(event)
    try:
        published = OrderEvent.model_validate(filled)
    except ValidationError:  # an event order_processor could not publish: route what it says, as it says it
        return _attributes_as_given(filled), event
    return message_attributes(published), event


def _attributes_as_given(event: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The attributes of an event another producer might publish as it is (what the filters would see)."""
    attributes = {"event_type": {"DataType": "String", "StringValue": str(event.get("event_type", ""))}}
    amount = event.get("amount")
    if isinstance(amount, int | float) and not isinstance(amount, bool):
        attributes["amount"] = {"DataType": "Number", "StringValue": str(amount)}
    if event.get("internal"):
        attributes["internal"] = {"DataType": "String", "StringValue": "true"}
    return attributes


def bus_event(event: dict[str, Any]) -> dict[str, Any] | None:
    """The OrderCreated event order_processor puts on the bus for ``event`` (None for other types)."""
    if event.get("event_type") != "order.created":
        return None
    defaults = {"currency": "USD", "customer_tier": "standard", "correlation_id": "eventctl"}
    given = {**defaults, **event, "total": event.get("amount")}
    try:  # as order_processor puts it (its own model: money as a JSON number)
        detail = json.loads(OrderCreatedDetail.model_validate(given).model_dump_json(exclude_none=True))
    except ValidationError:  # an order order_processor would refuse: route what it says, as it says it
        detail = {name: value for name, value in given.items() if value is not None}
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
