"""The SNS filter-policy validator and matcher against AWS's documented cases and its limits."""

from __future__ import annotations

import contextlib
import doctest
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from event_routing import sns
from event_routing.sns import InvalidFilterPolicy, filter_policy_problems, matches_filter_policy

CORPUS = json.loads((Path(__file__).parents[1] / "data" / "routing" / "sns_corpus.json").read_text())["cases"]

# Cases where the corpus contradicts AWS's documentation; the engine keeps the documented answer
# and these assert what the engine says (see the reason next to each).
DISPUTED: dict[str, tuple[str, str]] = {}


def _verdict(case: dict[str, Any]) -> str:
    policy, scope, message = case["policy"], case["scope"], case["message"]
    if filter_policy_problems(policy, scope):
        with pytest.raises(InvalidFilterPolicy):
            matches_filter_policy(policy, scope=scope)
        return "invalid"
    if message is None:
        return "valid"
    if "attributes" in message:
        matched = matches_filter_policy(policy, scope=scope, message_attributes=message["attributes"])
    else:
        body = message["body"]
        matched = matches_filter_policy(policy, scope=scope, body=body if isinstance(body, str) else json.dumps(body))
    return "match" if matched else "no match"


@pytest.mark.parametrize("case", CORPUS, ids=[case["id"] for case in CORPUS])
def test_corpus(case: dict[str, Any]) -> None:
    expected = DISPUTED[case["id"]][0] if case["id"] in DISPUTED else case["expected"]
    assert _verdict(case) == expected, case["note"]


def test_corpus_is_whole_and_disputes_are_real() -> None:
    assert len(CORPUS) == 148
    by_id = {case["id"]: case for case in CORPUS}
    for case_id, (engine_answer, _reason) in DISPUTED.items():
        assert by_id[case_id]["expected"] != engine_answer


def test_doctests() -> None:
    result = doctest.testmod(sns)
    assert result.attempted > 0
    assert result.failed == 0


# ---------------------------------------------------------------------------------------------------
# The validator: every operator, valid and invalid
# ---------------------------------------------------------------------------------------------------

VALID = [
    {"k": ["text", 5, 2.5, True, False, None]},
    {"k": [{"prefix": "ab"}]},
    {"k": [{"suffix": "ab"}]},
    {"k": [{"equals-ignore-case": "ab"}]},
    {"k": [{"wildcard": "a*b*"}]},
    {"k": [{"anything-but": "x"}]},
    {"k": [{"anything-but": 5}]},
    {"k": [{"anything-but": ["x", "y"]}]},
    {"k": [{"anything-but": [100, 500]}]},
    {"k": [{"anything-but": {"prefix": "order-"}}]},
    {"k": [{"anything-but": {"suffix": "ball"}}]},
    {"k": [{"anything-but": {"wildcard": "*ball"}}]},
    {"k": [{"anything-but": ["x"]}, {"exists": False}]},
    {"k": [{"numeric": ["=", 301.5]}]},
    {"k": [{"numeric": ["<", 0]}]},
    {"k": [{"numeric": [">", 0, "<=", 150]}]},
    {"k": [{"numeric": [">=", -1000000000, "<", 1000000000]}]},
    {"k": [{"exists": True}]},
    {"k": [{"exists": False}]},
    {"k": [{"cidr": "10.0.0.0/24"}]},
    {"k": [{"cidr": "2001:db8::/32"}]},
    {"k": ["a"], "$or": [{"x": ["1"]}, {"y": ["2"]}]},
    {"$or": [{"numeric": ["=", 123]}, {"prefix": "abc"}]},  # not an OR (reserved names): an attribute named "$or"
    {"$or": ["a", "b"]},  # not an OR either: an attribute named "$or"
]

INVALID = [
    ({"k": "x"}, '"k" must be an object or an array'),
    ({"k": 5}, '"k" must be an object or an array'),
    ({"k": []}, "Empty arrays are not allowed"),
    ({"k": [["x"]]}, "Match value must be String, number, true, false, or null"),
    ({"k": [{"wrong-operator": True}]}, "Unrecognized match type wrong-operator"),
    ({"k": [{"suffix": "a", "prefix": "b"}]}, "Only one key allowed in match expression"),
    ({"k": [{}]}, "Only one key allowed in match expression"),
    ({"k": [{"prefix": 1}]}, "prefix match pattern must be a string"),
    ({"k": [{"suffix": None}]}, "suffix match pattern must be a string"),
    ({"k": [{"suffix": ["a"]}]}, "suffix match pattern must be a string"),
    ({"k": [{"equals-ignore-case": 5}]}, "equals-ignore-case match pattern must be a string"),
    ({"k": [{"wildcard": 5}]}, "wildcard match pattern must be a string"),
    ({"k": [{"anything-but": {"exists": False}}]}, "Unsupported anything-but pattern: exists"),
    ({"k": [{"anything-but": {"wrong-operator": None}}]}, "Unsupported anything-but pattern: wrong-operator"),
    ({"k": [{"anything-but": {"prefix": 5}}]}, "prefix match pattern must be a string"),
    ({"k": [{"anything-but": []}]}, "Empty arrays are not allowed"),
    ({"k": [{"anything-but": [["x"]]}]}, "Match value must be String, number, true, false, or null"),
    ({"k": [{"anything-but": "x", "exists": False}]}, "Only one key allowed in match expression"),
    ({"k": [{"exists": None}]}, "exists match pattern must be either true or false."),
    ({"k": [{"exists": "no"}]}, "exists match pattern must be either true or false."),
    ({"k": [{"numeric": 5}]}, "Value of numeric must be an array."),
    ({"k": [{"numeric": []}]}, "Invalid member in numeric match: ]"),
    ({"k": [{"numeric": ["operator"]}]}, "Unrecognized numeric range operator: operator"),
    ({"k": [{"numeric": [1, "<="]}]}, "Invalid member in numeric match: 1"),
    ({"k": [{"numeric": ["=", "000"]}]}, "Value of equals must be numeric"),
    ({"k": [{"numeric": [">="]}]}, "Value of >= must be numeric"),
    ({"k": [{"numeric": ["<", 100, ">", 10]}]}, "Too many elements in numeric expression"),
    ({"k": [{"numeric": [">=", 1, ">", 2]}]}, "Bad numeric range operator: >"),
    ({"k": [{"numeric": [">", 3, "<", 1]}]}, "Bottom must be less than top"),
    ({"k": [{"numeric": [">", 1, "<", 1]}]}, "Bottom must be less than top"),
    ({"k": [{"numeric": [">", 20, "<="]}]}, "Value of <= must be numeric"),
    ({"k": [{"numeric": [">", 20, 30]}]}, "Bad value in numeric range: 30"),
    ({"k": [{"numeric": [">", 20, "test"]}]}, "Bad numeric range operator: test"),
    ({"k": [{"numeric": [">", "20", "<", "30"]}]}, "Value of > must be numeric"),
    ({"k": [{"numeric": [">", 20, "<", "30"]}]}, "Value of < must be numeric"),
    ({"k": [{"numeric": [">", 20, "<", 30, "<", 50]}]}, "Too many terms in numeric range expression"),
    ({"k": [{"numeric": ["=", True]}]}, "Value of equals must be numeric"),
    ({"k": [{"numeric": [">", 1000000001]}]}, "must be between -1000000000 and 1000000000"),
    ({"k": [{"numeric": [">", 0, "<", 1000000000.5]}]}, "must be between -1000000000 and 1000000000"),
    ({"k": [{"numeric": ["<", -1000000001]}]}, "must be between -1000000000 and 1000000000"),
    ({"k": [{"cidr": 10}]}, "prefix match pattern must be a string"),
    ({"k": [{"cidr": "10.0.0.0"}]}, "Malformed CIDR, one '/' required"),
    ({"k": [{"cidr": "10.0.0.0/8/8"}]}, "Malformed CIDR, one '/' required"),
    ({"k": [{"cidr": "10.0.0.0/x"}]}, "Malformed CIDR, mask bits must be an integer"),
    ({"k": [{"cidr": "10.0.0.0/33"}]}, "Nonstandard IP address: 10.0.0.0"),
    ({"k": [{"cidr": "10.0.0.300/24"}]}, "Nonstandard IP address: 10.0.0.300"),
    ({"k": {"nested": ["x"]}}, "Filter policy scope MessageAttributes does not support nested filter policy"),
    ({"$or": [{"a": {"b": ["x"]}}, {"c": ["y"]}]}, "does not support nested filter policy"),
    ({"$or": [{"a": ["x"]}]}, "Unrecognized match type a"),  # one branch: "$or" is an ordinary key
    # the guide's "not an OR" example: as an ordinary key's values, {"numeric": 123} is malformed
    ({"$or": [{"numeric": 123}, {"prefix": "abc"}]}, "Value of numeric must be an array."),
]


@pytest.mark.parametrize("policy", VALID, ids=[json.dumps(policy) for policy in VALID])
def test_valid_policies(policy: dict[str, Any]) -> None:
    assert filter_policy_problems(policy) == []
    assert filter_policy_problems(json.dumps(policy)) == []
    assert filter_policy_problems(policy, "MessageBody") == []


@pytest.mark.parametrize(("policy", "reason"), INVALID, ids=[json.dumps(policy) for policy, _ in INVALID])
def test_invalid_policies(policy: dict[str, Any], reason: str) -> None:
    problems = filter_policy_problems(policy)
    assert problems, "SNS refuses this policy"
    assert reason in problems[0]
    with pytest.raises(InvalidFilterPolicy) as caught:
        matches_filter_policy(policy, message_attributes={"k": {"DataType": "String", "StringValue": "x"}})
    assert str(caught.value).startswith("InvalidParameter: Invalid parameter: ")
    assert reason in str(caught.value)
    assert "(fix: " in caught.value.problems[0]


def test_problems_carry_their_path() -> None:
    problems = filter_policy_problems({"a": ["x"], "b": [{"numeric": [">", "1"]}, {"prefix": 2}]})
    assert [problem.split(":")[0] for problem in problems] == ["$.b[0].numeric", "$.b[1].prefix"]
    assert filter_policy_problems({"odd key": [[1]]})[0].startswith('$["odd key"][0]: ')


def test_nesting_in_attribute_scope_is_reported_once() -> None:
    problems = filter_policy_problems({"a": {"b": {"c": {"d": ["x"]}}}})
    assert len(problems) == 1
    assert problems[0].startswith("$.a: Filter policy scope MessageAttributes does not support nested filter policy")


def test_policy_text_is_read_exactly() -> None:
    assert filter_policy_problems("{not json")[0].startswith("$: FilterPolicy: failed to parse JSON")
    assert "must be a JSON object" in filter_policy_problems("[1, 2]")[0]
    assert "failed to parse JSON" in filter_policy_problems('{"k": [NaN]}')[0]
    assert filter_policy_problems("") == []  # an empty FilterPolicy removes the filter
    assert matches_filter_policy("", message_attributes={})
    # numbers parsed as decimals: 0.1 + 0.2 style drift cannot creep in
    policy = '{"k": [{"numeric": ["=", 0.30000]}]}'
    assert matches_filter_policy(policy, message_attributes={"k": {"DataType": "Number", "StringValue": "0.3"}})


def test_unknown_scope() -> None:
    problems = filter_policy_problems({"k": ["x"]}, "Body")  # type: ignore[arg-type]
    assert problems == [
        "FilterPolicyScope: FilterPolicyScope: Invalid value [Body]. Please use either MessageBody or "
        "MessageAttributes (fix: use MessageAttributes or MessageBody)"
    ]


def test_policy_size_limit() -> None:
    small = {"k": ["x" * (256 * 1024 - 20)]}
    assert len(json.dumps(small, separators=(",", ":"))) <= 256 * 1024
    assert filter_policy_problems(small) == []
    big = {"k": ["x" * (256 * 1024)]}
    assert "Filter policy is too large" in filter_policy_problems(big)[0]
    assert "Filter policy is too large" in filter_policy_problems(json.dumps(big))[0]


# ---------------------------------------------------------------------------------------------------
# Limits at their boundaries
# ---------------------------------------------------------------------------------------------------


def _keys(count: int) -> dict[str, Any]:
    return {f"k{index}": ["x"] for index in range(count)}


def test_five_keys_in_attribute_scope() -> None:
    assert filter_policy_problems(_keys(5)) == []
    assert "more than 5 keys" in filter_policy_problems(_keys(6))[0]


def test_body_scope_counts_only_top_level_keys() -> None:
    documented = {
        "state": ["SUCCESS"],
        "severity": [{"exists": True}],
        "message": [{"exists": True}],
        "finding": {
            "standard_control": [{"exists": True}],
            "region": [{"exists": True}],
            "account": [{"exists": True}],
        },
    }
    assert filter_policy_problems(documented, "MessageBody") == []
    assert filter_policy_problems({"top": _keys(7)}, "MessageBody") == []  # 2^7 = 128 combinations
    assert filter_policy_problems({**_keys(4), "top": _keys(3)}, "MessageBody") == []
    assert "more than 5 keys" in filter_policy_problems({**_keys(5), "top": _keys(1)}, "MessageBody")[0]


def test_keys_are_counted_per_or_branch() -> None:
    policy = {**_keys(3), "$or": [{"a": ["1"], "b": ["1"]}, {"c": ["1"], "d": ["1"]}]}
    assert filter_policy_problems(policy) == []  # each alternative has 5 keys
    policy = {**_keys(4), "$or": [{"a": ["1"], "b": ["1"]}, {"c": ["1"]}]}
    assert "more than 5 keys" in filter_policy_problems(policy)[0]


def _values(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{index}" for index in range(count)]


def test_combinations_at_150() -> None:
    assert filter_policy_problems({"a": _values("a", 15), "b": _values("b", 10)}) == []
    assert filter_policy_problems({"a": _values("a", 150)}) == []
    assert "too complex" in filter_policy_problems({"a": _values("a", 151)})[0]
    assert "too complex" in filter_policy_problems({"a": _values("a", 151 // 2 + 1), "b": ["x", "y"]})[0]


def test_combinations_with_nesting_multiply_by_depth() -> None:
    documented = {"key_a": {"key_b": {"key_c": _values("v", 4)}}, "key_d": {"key_e": _values("v", 3)}}
    assert filter_policy_problems(documented, "MessageBody") == []  # 4x3 x 3x2 = 72
    assert filter_policy_problems({"a": {"b": _values("v", 75)}}, "MessageBody") == []  # 75 x 2 = 150
    assert "too complex" in filter_policy_problems({"a": {"b": _values("v", 76)}}, "MessageBody")[0]


def test_combinations_with_or_add_up() -> None:
    at_limit = {"s": ["1", "2"], "$or": [{"x": _values("x", 40)}, {"y": _values("y", 35)}]}  # 2 x (40 + 35) = 150
    assert filter_policy_problems(at_limit) == []
    over = {"s": ["1", "2"], "$or": [{"x": _values("x", 40)}, {"y": _values("y", 36)}]}
    assert "too complex" in filter_policy_problems(over)[0]
    documented = {
        "source": ["aws.cloudwatch"],
        "$or": [
            {"metricName": ["CPUUtilization", "ReadLatency"]},
            {"metricType": ["MetricType"], "$or": [{"metricId": [1234, 4321]}, {"spaceId": [1000, 2000, 3000]}]},
        ],
    }
    assert filter_policy_problems(documented) == []
    assert sns._Validator("MessageAttributes").combinations(documented) == 7


def test_numeric_bounds_are_inclusive() -> None:
    assert filter_policy_problems({"k": [{"numeric": ["=", 1000000000]}]}) == []
    assert filter_policy_problems({"k": [{"numeric": ["=", -1000000000]}]}) == []
    assert filter_policy_problems({"k": [{"numeric": ["=", 1000000000.00001]}]}) != []


# ---------------------------------------------------------------------------------------------------
# The matcher
# ---------------------------------------------------------------------------------------------------


def attrs(**values: Any) -> dict[str, dict[str, str]]:
    result = {}
    for name, value in values.items():
        if isinstance(value, list):
            result[name] = {"DataType": "String.Array", "StringValue": json.dumps(value)}
        elif isinstance(value, int | float):
            result[name] = {"DataType": "Number", "StringValue": str(value)}
        else:
            result[name] = {"DataType": "String", "StringValue": value}
    return result


def body_match(policy: dict[str, Any], body: Any) -> bool:
    return matches_filter_policy(policy, scope="MessageBody", body=body if isinstance(body, str) else json.dumps(body))


def test_types_meet_their_own_operators() -> None:
    assert matches_filter_policy({"n": [100]}, message_attributes=attrs(n=100))
    assert not matches_filter_policy({"n": [100]}, message_attributes=attrs(n="100"))
    assert not matches_filter_policy({"n": ["100"]}, message_attributes=attrs(n=100))
    assert not matches_filter_policy({"n": [{"numeric": [">", 1]}]}, message_attributes=attrs(n="5"))
    assert matches_filter_policy({"n": [{"numeric": [">", 1]}]}, message_attributes=attrs(n=[0, 5]))
    assert not matches_filter_policy({"n": [{"prefix": "1"}]}, message_attributes=attrs(n=100))
    assert body_match({"b": [False]}, {"b": False})
    assert not body_match({"b": [False]}, {"b": 0})
    assert body_match({"b": [None]}, {"b": None})
    assert not body_match({"b": [None]}, {})


def test_binary_attributes_are_ignored_and_custom_types_read() -> None:
    binary = {"k": {"DataType": "Binary", "BinaryValue": "AAE="}}
    assert not matches_filter_policy({"k": [{"exists": True}]}, message_attributes=binary)
    custom = {"k": {"DataType": "Number.float", "StringValue": "1.5"}, "s": {"Type": "String.id", "Value": "a"}}
    assert matches_filter_policy({"k": [{"numeric": ["=", 1.5]}], "s": ["a"]}, message_attributes=custom)


def test_numbers_compare_to_five_places() -> None:
    assert matches_filter_policy({"n": [{"numeric": ["=", 0.5]}]}, message_attributes=attrs(n=0.500001))
    assert not matches_filter_policy({"n": [{"numeric": ["=", 0.5]}]}, message_attributes=attrs(n=0.50001))
    assert body_match({"n": [{"numeric": [">", 0, "<", 1e-4]}]}, '{"n": 5e-5}')


def test_anything_but_patterns() -> None:
    assert body_match({"k": [{"anything-but": {"suffix": "ball"}}]}, {"k": ["baseball", "golf"]})
    assert not body_match({"k": [{"anything-but": {"wildcard": "b*l"}}]}, {"k": ["basketball", "bowl"]})
    assert not body_match({"k": [{"anything-but": "x"}]}, {"k": None})
    assert body_match({"k": [{"anything-but": "100"}]}, {"k": 100})  # a number is not the string "100"
    assert not body_match({"k": [{"anything-but": [1]}]}, {"k": 1.0})


def test_wildcards() -> None:
    cases = [
        ("*", "", True),
        ("a*", "abc", True),
        ("*c", "abc", True),
        ("a*c", "ac", True),
        ("a*b*c", "abbbc", True),
        ("a*a", "a", False),
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
        ("**x", "yx", True),
    ]
    for pattern, text, expected in cases:
        assert body_match({"k": [{"wildcard": pattern}]}, {"k": text}) is expected, (pattern, text)


def test_cidr_matching() -> None:
    assert body_match({"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8::1"})
    assert not body_match({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "2001:db8::1"})
    assert not body_match({"ip": [{"cidr": "10.0.0.0/8"}]}, {"ip": "not an ip"})
    assert matches_filter_policy({"ip": [{"cidr": "10.0.0.1/24"}]}, message_attributes=attrs(ip="10.0.0.9"))


def test_exists() -> None:
    assert not body_match({"k": [{"exists": True}]}, {"k": []})
    assert body_match({"k": [{"exists": False}]}, {"k": None})
    assert body_match({"k": [{"exists": False}]}, {})  # the no-attributes rule is about attributes
    assert not body_match({"k": [{"exists": True}]}, {"k": {"inner": 1}})  # exists looks at leaves only
    assert not matches_filter_policy({"k": [{"exists": False}]})


def test_body_shapes() -> None:
    policy = {"object": {"nested": ["v"]}}
    for body in (
        {"object": {"nested": "v"}},
        {"object.nested": "v"},
        {"object": [{"nested": ["x", "v"]}]},
        {"object": [[{"nested": "v"}]]},
    ):
        assert body_match(policy, body), body
    assert body_match({"object.nested": ["v"]}, {"object": {"nested": "v"}})
    for body in ("", "[1]", '"text"', "{", "null", {"object": "v"}):
        assert not body_match(policy, body), body
    assert body_match({}, "not json at all")  # no filter policy: everything is delivered


def test_or_in_body_scope_nested() -> None:
    policy = {"detail": {"$or": [{"a": ["1"]}, {"b": ["2"]}]}}
    assert body_match(policy, {"detail": {"b": "2"}})
    assert not body_match(policy, {"b": "2"})


# ---------------------------------------------------------------------------------------------------
# Never anything but InvalidFilterPolicy
# ---------------------------------------------------------------------------------------------------

KEYS = st.sampled_from(["k", "a.b", "$or", "numeric", "prefix", "anything-but", "exists", "cidr", "wildcard", ""])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["=", "<", ">=", "10.0.0.0/24", "*", "a*b", "x", "", "1e3"])
    | st.text(max_size=8)
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS | st.text(max_size=4), children, max_size=4),
    max_leaves=20,
)
ATTRIBUTE = (
    st.fixed_dictionaries(
        {
            "DataType": st.sampled_from(["String", "String.Array", "Number", "Binary", "Number.x", "weird"]),
            "StringValue": st.text(max_size=10) | JSON.map(json.dumps),
        }
    )
    | JSON
)


@settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    policy=st.dictionaries(KEYS | st.text(max_size=4), JSON, max_size=6) | JSON,
    as_text=st.booleans(),
    scope=st.sampled_from(["MessageAttributes", "MessageBody"]),
    attributes=st.none() | st.dictionaries(KEYS | st.text(max_size=4), ATTRIBUTE, max_size=4),
    body=st.text(max_size=20) | JSON.map(json.dumps),
)
def test_never_raises_anything_else(policy: Any, as_text: bool, scope: Any, attributes: Any, body: str) -> None:
    given_policy = json.dumps(policy) if as_text or not isinstance(policy, dict) else policy
    problems = filter_policy_problems(given_policy, scope)
    assert all(isinstance(problem, str) for problem in problems)
    try:
        result = matches_filter_policy(given_policy, scope=scope, message_attributes=attributes, body=body)
    except InvalidFilterPolicy:
        assert problems
    else:
        assert not problems
        assert isinstance(result, bool)


# --- Adversity (issue 16's review round): a verdict or the engine's own error, quickly ------------------------------
# Each was a break found by trying to refute that claim: a RecursionError on deep JSON, decimal.Overflow on
# 1e9999999, a wildcard regex that backtracked for seconds, arrays of objects multiplied into millions of element
# combinations. (The same verdicts through the local cloud: tests/localcloud/compat/test_routing_rules.py.)


def _verdict_or_refused(call: Callable[[], object]) -> None:
    with contextlib.suppress(InvalidFilterPolicy):
        call()


def test_sns_body_number_with_huge_exponent_gives_a_verdict() -> None:
    """sns.py _five_places: abs(number) overflows for 1e9999999 in the message body."""
    _verdict_or_refused(lambda: matches_filter_policy({"a": [5]}, scope="MessageBody", body='{"a": 1e9999999}'))


def test_sns_number_attribute_with_huge_exponent_gives_a_verdict() -> None:
    attributes = {"a": {"DataType": "Number", "StringValue": "1e1000000"}}
    _verdict_or_refused(lambda: matches_filter_policy({"a": [{"numeric": [">", 5]}]}, message_attributes=attributes))
