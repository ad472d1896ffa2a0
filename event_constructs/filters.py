"""SNS subscription filter policies as plain dicts: checked at synth, rendered for CDK.

A policy is written exactly as SNS documents it, for example::

    {"event_type": ["order.created", "order.cancelled"], "amount": [{"numeric": [">=", 0]}]}

Beyond CDK's own limits, :func:`filter_policy_problems` refuses empty allow-lists, unknown
operators, inverted or malformed numeric ranges, and (for body filters, when an event
schema is given) keys the schema does not have.

Example:
    >>> filter_policy_problems({"amount": [{"numeric": [">", 10, "<", 5]}]}, scope="attributes")
    ["filter on 'amount': numeric range is empty: > 10 and < 5 cannot both hold"]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import aws_sns as sns

OPERATORS = frozenset(
    {"prefix", "suffix", "anything-but", "numeric", "exists", "equals-ignore-case", "cidr", "wildcard"}
)
NUMERIC_COMPARISONS = frozenset({"=", "<", "<=", ">", ">="})
#: SNS compares numbers from -10^9 to 10^9 only ("Numeric value matching" in the SNS Developer Guide): a
#: filter value outside is refused, and a message value outside never matches a numeric condition.
SNS_NUMERIC_LIMIT = 10**9


def _numeric_problems(key: str, terms: Any) -> list[str]:
    if not isinstance(terms, list) or not terms or len(terms) % 2:
        return [f'filter on \'{key}\': numeric takes operator/value pairs, e.g. [">=", 0, "<", 100]']
    pairs = list(zip(terms[0::2], terms[1::2], strict=True))
    problems = []
    lower: tuple[str, float] | None = None
    upper: tuple[str, float] | None = None
    for operator, value in pairs:
        if operator not in NUMERIC_COMPARISONS:
            problems.append(f"filter on '{key}': unknown numeric operator '{operator}'; use =, <, <=, > or >=")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"filter on '{key}': numeric value {value!r} is not a number")
            continue
        if abs(value) > SNS_NUMERIC_LIMIT:
            problems.append(f"filter on '{key}': numeric value {value:g} is outside the -1e9 to 1e9 that SNS compares")
        if operator in (">", ">="):
            if lower is not None:
                problems.append(f"filter on '{key}': more than one lower bound")
            lower = (operator, float(value))
        elif operator in ("<", "<="):
            if upper is not None:
                problems.append(f"filter on '{key}': more than one upper bound")
            upper = (operator, float(value))
        elif len(pairs) > 1:
            problems.append(f"filter on '{key}': '=' cannot be combined with a range")
    if lower and upper:
        (low_op, low), (high_op, high) = lower, upper
        empty = low > high or (low == high and (low_op, high_op) != (">=", "<="))
        if empty:
            problems.append(
                f"filter on '{key}': numeric range is empty: {low_op} {low:g} and {high_op} {high:g} cannot both hold"
            )
    return problems


def _condition_problems(key: str, condition: Any) -> list[str]:
    if condition is None or isinstance(condition, str | int | float | bool):
        return []
    if not isinstance(condition, Mapping) or len(condition) != 1:
        return [f"filter on '{key}': a condition is a value or an object with one operator, not {condition!r}"]
    ((operator, argument),) = condition.items()
    if operator not in OPERATORS:
        return [f"filter on '{key}': unknown operator '{operator}'; use one of {', '.join(sorted(OPERATORS))}"]
    if operator == "numeric":
        return _numeric_problems(key, argument)
    if operator == "exists":
        return [] if isinstance(argument, bool) else [f"filter on '{key}': exists takes true or false"]
    if operator == "anything-but":
        if isinstance(argument, list) and not argument:
            return [f"filter on '{key}': anything-but with an empty list excludes nothing; drop it or list values"]
        return []
    if operator in ("prefix", "suffix", "equals-ignore-case") and not (isinstance(argument, str) and argument):
        return [f"filter on '{key}': {operator} takes a non-empty string"]
    return []


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
    _path: str = "",
) -> list[str]:
    """Every problem in ``policy``; ``scope`` is ``attributes`` or ``body``.

    Body policies may nest objects; attribute policies may not. ``schema`` (a JSON Schema of
    the message body) is checked for body policies only.
    """
    problems: list[str] = []
    if not policy:
        return [f"the {scope} filter policy{' at ' + _path if _path else ''} is empty; give keys or drop it"]
    known = _schema_keys(schema) if scope == "body" else None
    for key, rules in policy.items():
        path = f"{_path}.{key}" if _path else key
        if known is not None and key not in known:
            problems.append(f"body filter key '{path}' is not in the event schema (it has: {', '.join(sorted(known))})")
            continue
        if isinstance(rules, Mapping):
            if scope != "body":
                problems.append(f"filter on '{path}': attribute filters cannot nest; use a body filter")
                continue
            nested_schema = known.get(key) if known is not None else None
            problems += filter_policy_problems(rules, scope=scope, schema=nested_schema, _path=path)
            continue
        if not isinstance(rules, Sequence) or isinstance(rules, str):
            problems.append(f"filter on '{path}': give a list of allowed values or conditions")
            continue
        if not rules:
            problems.append(f"filter on '{path}': the allow-list is empty, so nothing would ever match")
            continue
        for condition in rules:
            problems += _condition_problems(path, condition)
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
