"""filter_policy_problems: what it refuses beyond CDK's own limits."""

from __future__ import annotations

from typing import Any

import pytest

from event_constructs import filter_policy_problems

SCHEMA = {"properties": {"event_type": {}, "amount": {}, "customer": {"properties": {"tier": {}}}}}


@pytest.mark.parametrize(
    "policy",
    [
        {"event_type": ["order.created", "order.cancelled"], "amount": [{"numeric": [">=", 0]}]},
        {"event_type": [{"prefix": "order."}], "internal": [{"exists": False}]},
        {"amount": [{"numeric": [">", 0, "<=", 100]}]},
        {"amount": [{"numeric": [">=", 5, "<=", 5]}]},
        {"amount": [{"numeric": ["=", 3]}]},
        {"event_type": [{"anything-but": ["order.deleted"]}]},
        {"event_type": [{"anything-but": {"prefix": "internal."}}]},
        {"event_type": ["order.created", None]},
        {"amount": [{"numeric": [">=", -1_000_000_000, "<=", 1_000_000_000]}]},
    ],
)
def test_valid_attribute_policies(policy: dict[str, Any]) -> None:
    assert filter_policy_problems(policy, scope="attributes") == []


@pytest.mark.parametrize(
    ("policy", "problem"),
    [
        ({}, "is empty"),
        ({"event_type": []}, "allow-list is empty"),
        ({"event_type": "order.created"}, "give a list"),
        ({"amount": [{"numeric": [">", 10, "<", 5]}]}, "numeric range is empty: > 10 and < 5"),
        ({"amount": [{"numeric": [">", 5, "<", 5]}]}, "numeric range is empty"),
        ({"amount": [{"numeric": [">=", 5, "<", 5]}]}, "numeric range is empty"),
        ({"amount": [{"numeric": [">", 1, ">", 2]}]}, "more than one lower bound"),
        ({"amount": [{"numeric": ["<", 1, "<=", 2]}]}, "more than one upper bound"),
        ({"amount": [{"numeric": ["=", 1, "<", 2]}]}, "'=' cannot be combined"),
        ({"amount": [{"numeric": ["~", 1]}]}, "unknown numeric operator '~'"),
        ({"amount": [{"numeric": [">", "1"]}]}, "is not a number"),
        ({"amount": [{"numeric": [">"]}]}, "operator/value pairs"),
        ({"amount": [{"numeric": ["<", 1_000_000_000.5]}]}, "outside the -1e9 to 1e9 that SNS compares"),
        ({"amount": [{"numeric": [">", -2e9]}]}, "outside the -1e9 to 1e9"),
        ({"event_type": [{"prefix": ""}]}, "prefix takes a non-empty string"),
        ({"event_type": [{"startswith": "order."}]}, "unknown operator 'startswith'"),
        ({"event_type": [{"prefix": "a", "suffix": "b"}]}, "one operator"),
        ({"internal": [{"exists": "no"}]}, "exists takes true or false"),
        ({"event_type": [{"anything-but": []}]}, "excludes nothing"),
        ({"customer": {"tier": ["gold"]}}, "attribute filters cannot nest"),
    ],
)
def test_refused_attribute_policies(policy: dict[str, Any], problem: str) -> None:
    problems = filter_policy_problems(policy, scope="attributes")
    assert any(problem in p for p in problems), problems


def test_body_policies_nest_and_are_checked_against_the_schema() -> None:
    assert filter_policy_problems({"customer": {"tier": ["gold"]}}, scope="body", schema=SCHEMA) == []
    problems = filter_policy_problems(
        {"customer": {"level": ["gold"]}, "total": [{"numeric": [">", 1]}]}, scope="body", schema=SCHEMA
    )
    assert problems == [
        "body filter key 'customer.level' is not in the event schema (it has: tier)",
        "body filter key 'total' is not in the event schema (it has: amount, customer, event_type)",
    ]


def test_without_a_schema_body_keys_are_not_checked() -> None:
    assert filter_policy_problems({"anything": {"goes": ["x"]}}, scope="body") == []


def test_every_amount_an_order_may_carry_is_a_number_sns_compares() -> None:
    """The order model's money limit and SNS's numeric range agree, so the payment filter (amount >= 0)
    sees every valid order: a total above 10^9 would never match a numeric condition (issue 19)."""
    from event_constructs.filters import SNS_NUMERIC_LIMIT
    from orders_common.limits import MONEY_MAX

    assert MONEY_MAX <= SNS_NUMERIC_LIMIT
