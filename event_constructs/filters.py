"""SNS subscription filter policies as plain dicts: checked at synth, rendered for CDK.

A policy is written exactly as SNS documents it, for example::

    {"event_type": ["order.created", "order.cancelled"], "amount": [{"numeric": [">=", 0]}]}

:func:`filter_policy_problems` refuses exactly what SNS refuses when the subscription is created
(:mod:`event_routing.sns`, checked against AWS's documented examples), with SNS's reason and what to
change; given an event schema, it also refuses body filter keys the schema does not have.

Example:
    >>> (problem,) = filter_policy_problems({"amount": [{"numeric": [">", 10, "<", 5]}]}, scope="attributes")
    >>> problem.split(" (fix: ")[0]
    'SNS would refuse the attributes filter policy: $.amount[0].numeric: FilterPolicy: Bottom must be less than top'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import aws_sns as sns

from event_routing import sns as sns_rules

#: SNS compares numbers from -10^9 to 10^9 only ("Numeric value matching" in the SNS Developer Guide).
SNS_NUMERIC_LIMIT = 10**9


def _schema_keys(schema: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if schema is None:
        return None
    properties = schema.get("properties")
    return properties if isinstance(properties, Mapping) else None


def filter_policy_problems(
    policy: Mapping[str, Any],
    *,
    scope: str,
    schema: Mapping[str, Any] | None = None,
) -> list[str]:
    """Every reason SNS would refuse ``policy``, then (body policies, when ``schema`` is given) every key the
    event schema does not have. ``scope`` is ``attributes`` or ``body``; body policies may nest objects."""
    if scope not in ("attributes", "body"):
        raise ValueError(f"scope is 'attributes' or 'body', not {scope!r}")
    aws_scope: sns_rules.Scope = "MessageBody" if scope == "body" else "MessageAttributes"
    problems = [
        f"SNS would refuse the {scope} filter policy: {problem}"
        for problem in sns_rules.filter_policy_problems(dict(policy), aws_scope)
    ]
    if scope == "body" and schema is not None:
        problems += _unknown_keys(policy, _schema_keys(schema))
    return problems


def _unknown_keys(policy: Mapping[str, Any], known: Mapping[str, Any] | None, path: str = "") -> list[str]:
    if known is None:
        return []
    problems = []
    for key, rules in policy.items():
        if key == "$or" and isinstance(rules, Sequence):
            for branch in rules:
                problems += _unknown_keys(branch, known, path) if isinstance(branch, Mapping) else []
            continue
        where = f"{path}.{key}" if path else key
        if key not in known:
            has = ", ".join(sorted(known))
            problems.append(f"body filter key '{where}' is not in the event schema (it has: {has})")
        elif isinstance(rules, Mapping):
            problems += _unknown_keys(rules, _schema_keys(known[key]), where)
    return problems


def attribute_filters(policy: Mapping[str, Sequence[Any]]) -> dict[str, sns.SubscriptionFilter]:
    """``policy`` as CDK's ``filter_policy`` (message attributes)."""
    return {key: sns.SubscriptionFilter(conditions=list(rules)) for key, rules in policy.items()}


def body_filters(policy: Mapping[str, Any]) -> dict[str, sns.FilterOrPolicy]:
    """``policy`` as CDK's ``filter_policy_with_message_body`` (nested objects allowed)."""
    return {
        key: (
            sns.FilterOrPolicy.policy(body_filters(rules))
            if isinstance(rules, Mapping)
            else sns.FilterOrPolicy.filter(sns.SubscriptionFilter(conditions=list(rules)))
        )
        for key, rules in policy.items()
    }
