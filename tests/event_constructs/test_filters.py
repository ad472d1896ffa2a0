"""filter_policy_problems: exactly what SNS refuses (event_routing.sns), with SNS's reason and the fix.

The corpus of AWS's documented policies (tests/data/routing/sns_corpus.json) judges the engine in
tests/event_routing; these cases pin what the library reports for the mistakes a user makes."""

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
        {"amount": [{"numeric": ["=", 3]}]},
        {},  # no filter: SNS delivers everything
        {"event_type": [{"prefix": ""}]},  # SNS accepts an empty prefix (it matches every string)
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
        ({"event_type": []}, "Empty arrays are not allowed"),
        ({"event_type": "order.created"}, '"event_type" must be an object or an array (fix: put the value in an array'),
        ({"amount": [{"numeric": [">", 10, "<", 5]}]}, "Bottom must be less than top"),
        ({"amount": [{"numeric": [">", 5, "<", 5]}]}, "Bottom must be less than top"),
        ({"amount": [{"numeric": [">=", 5, "<=", 5]}]}, "Bottom must be less than top"),
        ({"amount": [{"numeric": [">", 1, ">", 2]}]}, "Bad numeric range operator: >"),
        ({"amount": [{"numeric": ["<", 1, "<=", 2]}]}, "Too many elements in numeric expression"),
        ({"amount": [{"numeric": ["=", 1, "<", 2]}]}, "Too many elements in numeric expression"),
        ({"amount": [{"numeric": ["~", 1]}]}, "Unrecognized numeric range operator: ~"),
        ({"amount": [{"numeric": [">", "1"]}]}, "Value of > must be numeric"),
        ({"amount": [{"numeric": [">"]}]}, "Value of > must be numeric"),
        ({"amount": [{"numeric": ["<", 1_000_000_000.5]}]}, "must be between -1000000000 and 1000000000"),
        ({"amount": [{"numeric": [">", -2e9]}]}, "must be between -1000000000 and 1000000000"),
        ({"event_type": [{"startswith": "order."}]}, "Unrecognized match type startswith"),
        ({"event_type": [{"prefix": "a", "suffix": "b"}]}, "Only one key allowed in match expression"),
        ({"internal": [{"exists": "no"}]}, "exists match pattern must be either true or false"),
        ({"event_type": [{"anything-but": []}]}, "Empty arrays are not allowed"),
        ({"customer": {"tier": ["gold"]}}, "MessageAttributes does not support nested filter policy"),
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


def test_every_problem_says_sns_would_refuse_it_and_how_to_fix_it() -> None:
    (problem,) = filter_policy_problems({"amount": [{"numeric": [">", 10, "<", 5]}]}, scope="attributes")
    assert problem.startswith("SNS would refuse the attributes filter policy: $.amount[0].numeric: ")
    assert "(fix: " in problem


def test_a_scope_other_than_attributes_or_body_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="scope is 'attributes' or 'body'"):
        filter_policy_problems({"a": ["b"]}, scope="MessageBody")


def test_or_branches_of_a_body_policy_are_checked_against_the_schema() -> None:
    problems = filter_policy_problems({"$or": [{"amount": [1]}, {"totl": [2]}]}, scope="body", schema=SCHEMA)
    assert problems == ["body filter key 'totl' is not in the event schema (it has: amount, customer, event_type)"]


def test_without_a_schema_body_keys_are_not_checked() -> None:
    assert filter_policy_problems({"anything": {"goes": ["x"]}}, scope="body") == []


def test_every_amount_an_order_may_carry_is_a_number_sns_compares() -> None:
    """The order model's money limit and SNS's numeric range agree, so the payment filter (amount >= 0)
    sees every valid order: a total above 10^9 would never match a numeric condition (issue 19)."""
    from event_constructs.filters import SNS_NUMERIC_LIMIT
    from orders_functions.common.limits import MONEY_MAX

    assert MONEY_MAX <= SNS_NUMERIC_LIMIT
