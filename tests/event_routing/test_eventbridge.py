"""The EventBridge event-pattern validator and matcher, judged by the AWS-docs corpus, the operator rules, a second
opinion (LocalStack) where the docs are silent, and property tests."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from event_routing.eventbridge import (
    MAX_PATTERN_LENGTH,
    InvalidEventPattern,
    JsonNumber,
    event_pattern_problems,
    matches_event_pattern,
    parse_json,
)

CORPUS_PATH = Path(__file__).resolve().parents[1] / "data" / "routing" / "eventbridge_corpus.json"
CORPUS_TEXT = CORPUS_PATH.read_text()
# Numbers keep their JSON text (JsonNumber, a Decimal that remembers its spelling): the corpus's exact-number cases
# compare 300, 300.0 and 3.0e2 as written.
CORPUS = parse_json(CORPUS_TEXT)["cases"]

# Corpus cases believed to contradict AWS's documented behaviour, with the engine's answer and the reason.  None at
# present: every case agrees with the docs as read.  A case listed here is still run, asserting the engine's answer.
KNOWN_CORPUS_QUESTIONS: dict[str, tuple[str, str]] = {}


def verdict(pattern: Any, event: Any) -> str:
    if event_pattern_problems(pattern):
        return "invalid"
    return "match" if matches_event_pattern(pattern, event) else "no match"


@pytest.mark.parametrize("case", CORPUS, ids=[case["id"] for case in CORPUS])
def test_corpus_case(case: dict[str, Any]) -> None:
    got = verdict(case["pattern"], case["event"])
    if case["id"] in KNOWN_CORPUS_QUESTIONS:
        engine_answer, _reason = KNOWN_CORPUS_QUESTIONS[case["id"]]
        assert got == engine_answer
    else:
        assert got == case["expected"], case["note"]


def test_corpus_is_complete_and_questions_exist() -> None:
    assert len(CORPUS) == 202
    ids = {case["id"] for case in CORPUS}
    assert set(KNOWN_CORPUS_QUESTIONS) <= ids


def test_corpus_loaded_with_plain_decimal_agrees_too() -> None:
    """``json.loads(text, parse_float=Decimal)`` keeps enough of the spelling (300 / 300.0 / 3.0E+2 differ)."""
    cases = json.loads(CORPUS_TEXT, parse_float=Decimal)["cases"]
    disagreements = [
        case["id"]
        for case in cases
        if case["id"] not in KNOWN_CORPUS_QUESTIONS and verdict(case["pattern"], case["event"]) != case["expected"]
    ]
    assert disagreements == []


def test_duplicate_key_in_pattern_text_last_wins() -> None:
    text = '{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}'
    assert matches_event_pattern(text, {"detail": {"location": "eu-west"}})
    assert not matches_event_pattern(text, {"detail": {"location": "us-east"}})


def test_invalid_case_raises_with_aws_prefix() -> None:
    with pytest.raises(InvalidEventPattern, match=r"^Event pattern is not valid\. Reason: ") as caught:
        matches_event_pattern({"source": []}, {"source": "x"})
    assert caught.value.problems == event_pattern_problems({"source": []})
    assert isinstance(caught.value, ValueError)


# ------------------------------------------------------------------------------------------------------------------
# Numbers


def test_parse_json_keeps_number_text() -> None:
    parsed = parse_json('{"a": 3.0e2, "b": -0, "c": 1E2}')
    assert [parsed[key].text for key in "abc"] == ["3.0e2", "-0", "1E2"]
    assert isinstance(parsed["a"], JsonNumber) and isinstance(parsed["a"], Decimal)


@pytest.mark.parametrize(
    ("pattern_number", "event_number", "expected"),
    [
        ("300", "300", True),
        ("300", "300.0", False),
        ("3.0e2", "3.0e2", True),
        ("3.0e2", "3.0E2", False),
        ("300", "3.0e2", False),
    ],
)
def test_exact_numbers_compare_by_text(pattern_number: str, event_number: str, expected: bool) -> None:
    pattern = f'{{"n": [{pattern_number}]}}'
    assert matches_event_pattern(pattern, f'{{"n": {event_number}}}') is expected


def test_python_numbers_in_dicts() -> None:
    assert matches_event_pattern({"n": [300]}, {"n": 300})
    assert not matches_event_pattern({"n": [300]}, {"n": 300.0})
    assert matches_event_pattern({"n": [{"numeric": ["=", 300]}]}, {"n": 300.0})
    assert not matches_event_pattern({"n": [1]}, {"n": True})  # true is not the number 1
    assert not matches_event_pattern({"n": [{"numeric": [">", 0]}]}, {"n": True})


def test_anything_but_numbers_follow_the_exact_match_rule() -> None:
    assert not matches_event_pattern('{"n": [{"anything-but": [100]}]}', '{"n": 100}')
    assert matches_event_pattern('{"n": [{"anything-but": [100]}]}', '{"n": 100.0}')


# ------------------------------------------------------------------------------------------------------------------
# Every operator: accepted forms and refused forms (reason substrings follow AWS's recorded wording where known).

VALID_PATTERNS = [
    {"a": ["x", 1, 2.5, True, False, None, ""]},
    {"a": {"b": {"c": ["x"]}}},
    {"a": [{"prefix": "x"}]},
    {"a": [{"prefix": ""}]},
    {"a": [{"prefix": {"equals-ignore-case": "x"}}]},
    {"a": [{"suffix": ".png"}]},
    {"a": [{"suffix": {"equals-ignore-case": ".png"}}]},
    {"a": [{"equals-ignore-case": "x"}]},
    {"a": [{"equals-ignore-case": ""}]},
    {"a": [{"wildcard": "*.png"}]},
    {"a": [{"wildcard": "a\\*b\\\\*"}]},
    {"a": [{"wildcard": ""}]},
    {"a": [{"anything-but": "x"}]},
    {"a": [{"anything-but": 5}]},
    {"a": [{"anything-but": ["x", "y"]}]},
    {"a": [{"anything-but": [1, 2]}]},
    {"a": [{"anything-but": ["x", 2]}]},
    {"a": [{"anything-but": {"prefix": "x"}}]},
    {"a": [{"anything-but": {"prefix": ["x", "y"]}}]},
    {"a": [{"anything-but": {"suffix": "x"}}]},
    {"a": [{"anything-but": {"equals-ignore-case": ["x", "y"]}}]},
    {"a": [{"anything-but": {"wildcard": "*/lib/*"}}]},
    {"a": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]},
    {"a": [{"numeric": ["=", 5]}]},
    {"a": [{"numeric": ["<", 5]}]},
    {"a": [{"numeric": ["<=", -5.5]}]},
    {"a": [{"numeric": [">", 0, "<", 10]}]},
    {"a": [{"numeric": [">=", 0, "<=", 0.000001]}]},
    {"a": [{"numeric": [">", -5000000000, "<", 5000000000]}]},
    {"a": [{"cidr": "10.0.0.0/24"}]},
    {"a": [{"cidr": "10.0.0.1/24"}]},
    {"a": [{"cidr": "2001:db8::/32"}]},
    {"a": [{"exists": True}]},
    {"a": [{"exists": False}]},
    {"a": ["x", {"prefix": "y"}, {"exists": False}]},
    {"$or": [{"a": ["x"]}, {"b": ["y"]}]},
    {"d": {"$or": [{"a": ["x"]}, {"b": {"c": [1]}}]}},
    {"$or": ["literal-field-name"]},
    {},
]


@pytest.mark.parametrize("pattern", VALID_PATTERNS, ids=[json.dumps(p) for p in VALID_PATTERNS])
def test_valid_forms(pattern: dict[str, Any]) -> None:
    assert event_pattern_problems(pattern) == []
    assert event_pattern_problems(json.dumps(pattern)) == []


INVALID_PATTERNS: list[tuple[Any, str]] = [
    ({"a": "x"}, '"a" must be an object or an array'),
    ({"a": 42}, '"a" must be an object or an array'),
    ({"a": None}, '"a" must be an object or an array'),
    ({"a": []}, "Empty arrays are not allowed"),
    ({"a": {"b": []}}, "Empty arrays are not allowed"),
    ({"a": [["x"]]}, "Match value must be String, number, true, false, or null"),
    ({"a": [{}]}, "Only one key allowed in match expression"),
    ({"a": [{"prefix": "x", "suffix": "y"}]}, "Only one key allowed in match expression"),
    ({"a": [{"contains": "x"}]}, "Unrecognized match type contains"),
    ({"a": [{"NUMERIC": ["=", 5]}]}, "Unrecognized match type NUMERIC"),
    ({"a": [{"EXISTS": True}]}, "Unrecognized match type EXISTS"),
    ({"a": [{"prefix": 123}]}, "prefix match pattern must be a string"),
    ({"a": [{"prefix": ["x"]}]}, "prefix match pattern must be a string"),
    ({"a": [{"prefix": {"equals-ignore-case": 1}}]}, "prefix match pattern must be a string"),
    ({"a": [{"prefix": {"wildcard": "x"}}]}, "Unsupported prefix pattern: wildcard"),
    ({"a": [{"suffix": 123}]}, "suffix match pattern must be a string"),
    ({"a": [{"suffix": [".png"]}]}, "suffix match pattern must be a string"),
    ({"a": [{"equals-ignore-case": ["x"]}]}, "equals-ignore-case match pattern must be a string"),
    ({"a": [{"equals-ignore-case": {"prefix": "x"}}]}, "equals-ignore-case match pattern must be a string"),
    ({"a": [{"wildcard": 123}]}, "wildcard match pattern must be a string"),
    ({"a": [{"wildcard": ["*"]}]}, "wildcard match pattern must be a string"),
    ({"a": [{"wildcard": "dir/**.png"}]}, "Consecutive wildcard characters at pos 5"),
    ({"a": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]}, "Consecutive wildcard characters at pos 26"),
    ({"a": [{"wildcard": "a\\b"}]}, "Invalid escape character"),
    ({"a": [{"wildcard": "a\\"}]}, "Invalid escape character"),
    ({"a": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}, "Rule is too complex"),
    ({"a": [{"wildcard": w} for w in ("*.bif", "*.tiff", "*.tif", "*.svs")]}, "Rule is too complex"),
    ({"a": [{"anything-but": None}]}, "Value of anything-but must be an array or single string/number value."),
    ({"a": [{"anything-but": True}]}, "Value of anything-but must be an array or single string/number value."),
    ({"a": [{"anything-but": [None]}]}, "Inside anything but list, start|null|boolean is not supported."),
    ({"a": [{"anything-but": [True]}]}, "Inside anything but list, start|null|boolean is not supported."),
    ({"a": [{"anything-but": [{"prefix": "x"}]}]}, "Inside anything but list, start|null|boolean is not supported."),
    ({"a": [{"anything-but": {"numeric": [">", 1]}}]}, "Unsupported anything-but pattern: numeric"),
    ({"a": [{"anything-but": {"prefix": "x", "suffix": "y"}}]}, "Only one key allowed in match expression"),
    ({"a": [{"anything-but": {"prefix": 123}}]}, "prefix/suffix match pattern must be a string"),
    ({"a": [{"anything-but": {"suffix": [123, ".txt"]}}]}, "prefix/suffix match pattern must be a string"),
    ({"a": [{"anything-but": {"prefix": ""}}]}, "Null prefix/suffix not allowed"),
    (
        {"a": [{"anything-but": {"prefix": {"equals-ignore-case": "x"}}}]},
        "Value of anything-but must be an array or single string/number value.",
    ),
    (
        {"a": [{"anything-but": {"equals-ignore-case": 123}}]},
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
    ),
    ({"a": [{"anything-but": {"wildcard": [123, "*/dir/*"]}}]}, "wildcard match pattern must be a string"),
    ({"a": [{"anything-but": {"wildcard": "*/lib/**"}}]}, "Consecutive wildcard characters"),
    ({"a": [{"numeric": 5}]}, "Value of numeric must be an array."),
    ({"a": [{"numeric": []}]}, "Invalid member in numeric match: ]"),
    ({"a": [{"numeric": [5]}]}, "Invalid member in numeric match: 5"),
    ({"a": [{"numeric": ["!=", 5]}]}, "Unrecognized numeric range operator: !="),
    ({"a": [{"numeric": [">"]}]}, "Value of > must be numeric"),
    ({"a": [{"numeric": ["=", "5"]}]}, "Value of equals must be numeric"),
    ({"a": [{"numeric": ["=", True]}]}, "Value of equals must be numeric"),
    ({"a": [{"numeric": [">", 0, "<"]}]}, "Value of < must be numeric"),
    ({"a": [{"numeric": [">", 0, ">", 0]}]}, "Bad numeric range operator: >"),
    ({"a": [{"numeric": [">", 0, 5, 6]}]}, "Bad value in numeric range: 5"),
    ({"a": [{"numeric": ["<", 10, ">", 0]}]}, "Too many elements in numeric expression"),
    ({"a": [{"numeric": ["=", 1, "<", 5]}]}, "Too many elements in numeric expression"),
    ({"a": [{"numeric": [">", 10, "<", 5]}]}, "Bottom must be less than top"),
    ({"a": [{"numeric": [">", 5, "<", 5]}]}, "Bottom must be less than top"),
    ({"a": [{"numeric": [">", 0, "<", 5, "<", 6]}]}, "Too many terms in numeric range expression"),
    ({"a": [{"numeric": [">", 5000000001]}]}, "must be between -5.0E9 and 5.0E9"),
    ({"a": [{"cidr": ["10.0.0.0/24"]}]}, "prefix match pattern must be a string"),
    ({"a": [{"cidr": 10}]}, "prefix match pattern must be a string"),
    ({"a": [{"cidr": "10.0.0.0"}]}, "Malformed CIDR, one '/' required"),
    ({"a": [{"cidr": "10.0.0.0/x"}]}, "Malformed CIDR, mask bits must be an integer"),
    ({"a": [{"cidr": "xx.11.xx/24"}]}, "Nonstandard IP address: xx.11.xx"),
    ({"a": [{"cidr": "xxxx:db8:1234:1a00::/64"}]}, "Nonstandard IP address: xxxx:db8:1234:1a00::"),
    ({"a": [{"cidr": "10.0.0.0/33"}]}, "Malformed CIDR, mask bits out of range"),
    ({"a": [{"exists": "true"}]}, "exists match pattern must be either true or false."),
    ({"a": [{"exists": None}]}, "exists match pattern must be either true or false."),
    ({"$or": [{"a": ["x"]}]}, "$or must contain at least two objects"),
    ({"$or": [{"a": ["x"]}, "b"]}, "$or elements must be objects"),
    ('["not", "an", "object"]', "Filter is not an object"),
    ("{'bad': 'quotation'}", "(at (pattern); send well-formed JSON)"),
    ('{"a": [NaN]}', "(at (pattern); send well-formed JSON)"),
    ({"a": ["x" * MAX_PATTERN_LENGTH]}, "over the maximum length of 4096"),
    ('{"a": ["' + "x" * MAX_PATTERN_LENGTH + '"]}', "over the maximum length of 4096"),
]


@pytest.mark.parametrize(("pattern", "reason"), INVALID_PATTERNS, ids=[json.dumps(p)[:60] for p, _ in INVALID_PATTERNS])
def test_invalid_forms(pattern: Any, reason: str) -> None:
    problems = event_pattern_problems(pattern)
    assert problems, "expected the pattern to be refused"
    assert any(reason in problem for problem in problems), problems
    with pytest.raises(InvalidEventPattern):
        matches_event_pattern(pattern, {"a": "x"})


def test_problems_name_their_path_and_all_are_reported() -> None:
    problems = event_pattern_problems({"detail": {"x": [{"prefix": 1}], "y": {"z": [{"numeric": [">", "1"]}]}}})
    assert len(problems) == 2
    assert "(at detail.x[0].prefix;" in problems[0]
    assert "(at detail.y.z[0].numeric[1];" in problems[1]


def test_length_limit_is_4096_characters() -> None:
    filler = "x" * (MAX_PATTERN_LENGTH - len('{"a":[""]}'))
    assert event_pattern_problems({"a": [filler]}) == []
    assert event_pattern_problems({"a": [filler + "x"]}) != []


def test_or_combination_limit() -> None:
    ten = [{"k": [str(i)]} for i in range(10)]
    assert event_pattern_problems({"$or": ten, "d": {"$or": ten, "e": {"$or": ten}}}) == []
    problems = event_pattern_problems({"$or": [*ten, {"k": ["x"]}], "d": {"$or": ten, "e": {"$or": ten}}})
    assert any("1100 rule combinations" in problem for problem in problems)


def test_wildcard_complexity_accepts_documented_shapes() -> None:
    for wildcard in ("*.png", "*Title*", "dir/*.png", "*/lib/*", "/Users/*/dir/dir/dir/dir/dir/doc.txt"):
        assert event_pattern_problems({"a": [{"wildcard": wildcard}]}) == [], wildcard
    assert event_pattern_problems({"a": [{"wildcard": "*.bif"}, {"wildcard": "*.tiff"}]}) == []


# ------------------------------------------------------------------------------------------------------------------
# Matching behaviour per operator (beyond the corpus)

MATCHING: list[tuple[dict[str, Any], dict[str, Any], bool]] = [
    # prefix / suffix / equals-ignore-case need strings
    ({"a": [{"prefix": ""}]}, {"a": "anything"}, True),
    ({"a": [{"prefix": ""}]}, {"a": 5}, False),
    ({"a": [{"suffix": "5"}]}, {"a": 5}, False),
    ({"a": [{"equals-ignore-case": "ABC"}]}, {"a": "aBc"}, True),
    ({"a": [{"equals-ignore-case": "5"}]}, {"a": 5}, False),
    # wildcard
    ({"a": [{"wildcard": "*"}]}, {"a": ""}, True),
    ({"a": [{"wildcard": "*"}]}, {"a": 5}, False),
    ({"a": [{"wildcard": "a*b*c"}]}, {"a": "abc"}, True),
    ({"a": [{"wildcard": "a*b*c"}]}, {"a": "a-b-c-"}, False),
    ({"a": [{"wildcard": "a\\*"}]}, {"a": "a*"}, True),
    ({"a": [{"wildcard": "a\\*"}]}, {"a": "ab"}, False),
    ({"a": [{"wildcard": "a.c"}]}, {"a": "abc"}, False),
    ({"a": [{"wildcard": "line*end"}]}, {"a": "line\nend"}, True),
    # anything-but
    ({"a": [{"anything-but": "x"}]}, {"a": None}, True),
    ({"a": [{"anything-but": "x"}]}, {"a": 5}, True),
    ({"a": [{"anything-but": "x"}]}, {}, False),
    ({"a": [{"anything-but": "x"}]}, {"a": ["x", "y"]}, True),
    ({"a": [{"anything-but": "x"}]}, {"a": ["x"]}, False),
    ({"a": [{"anything-but": {"prefix": "x"}}]}, {"a": 5}, True),
    ({"a": [{"anything-but": {"suffix": ["a", "b"]}}]}, {"a": "ab"}, False),
    ({"a": [{"anything-but": {"suffix": ["a", "b"]}}]}, {"a": "bc"}, True),
    ({"a": [{"anything-but": {"equals-ignore-case": ["X", "Y"]}}]}, {"a": "y"}, False),
    ({"a": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]}, {"a": "/usr/bin/env"}, False),
    ({"a": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]}, {"a": "/etc/hosts"}, True),
    # numeric
    ({"a": [{"numeric": [">=", 0, "<", 1]}]}, {"a": 0}, True),
    ({"a": [{"numeric": [">=", 0, "<", 1]}]}, {"a": 1}, False),
    ({"a": [{"numeric": ["<", 0]}]}, {"a": -0.5}, True),
    ({"a": [{"numeric": ["=", 0.000001]}]}, {"a": 0.000001}, True),
    ({"a": [{"numeric": [">", 0]}]}, {"a": [-1, 2]}, True),
    ({"a": [{"numeric": [">", 0]}]}, {"a": None}, False),
    # cidr
    ({"a": [{"cidr": "10.0.0.0/8"}]}, {"a": "10.255.0.1"}, True),
    ({"a": [{"cidr": "10.0.0.0/8"}]}, {"a": "11.0.0.1"}, False),
    ({"a": [{"cidr": "10.0.0.0/8"}]}, {"a": "not an ip"}, False),
    ({"a": [{"cidr": "10.0.0.0/8"}]}, {"a": "::ffff:10.0.0.1"}, False),
    ({"a": [{"cidr": "0.0.0.0/0"}]}, {"a": "1.2.3.4"}, True),
    ({"a": [{"cidr": "::/0"}]}, {"a": "1.2.3.4"}, False),
    ({"a": [{"cidr": "2001:db8::/32"}]}, {"a": "2001:DB8::1"}, True),
    # exists
    ({"a": [{"exists": True}]}, {"a": None}, True),
    ({"a": [{"exists": True}]}, {"a": ""}, True),
    ({"a": [{"exists": True}]}, {"a": []}, False),
    ({"a": [{"exists": False}]}, {"a": []}, True),
    ({"a": [{"exists": True}]}, {"a": {}}, False),
    ({"a": [{"exists": True}]}, {"a": [[]]}, False),
    ({"a": [{"exists": True}]}, {"a": [{"b": 1}]}, False),
    ({"a": {"b": [{"exists": True}]}}, {"a": [{"c": 1}, {"b": 2}]}, True),
    ({"a": {"b": [{"exists": False}]}}, {"a": [{"c": 1}, {"b": 2}]}, True),
    ({"a": {"b": [{"exists": False}]}}, {"a": [{"b": 1}, {"b": 2}]}, False),
    ({"a": {"b": [{"exists": False}]}}, {"a": "scalar"}, True),
    # arrays
    ({"a": ["x"]}, {"a": [["x"]]}, True),
    ({"a": [None]}, {"a": []}, False),
    ({"a": {"b": ["x"]}}, {"a": [{"b": "y"}, {"b": "x"}]}, True),
    ({"a": {"b": ["x"]}}, {"a": [[{"b": "x"}]]}, True),
    # array consistency: fields under one array of objects are satisfied by the same element
    ({"a": {"b": [1], "c": [2]}}, {"a": [{"b": 1, "c": 3}, {"b": 3, "c": 2}]}, False),
    ({"a": {"b": [1], "c": [2]}}, {"a": [{"b": 1, "c": 3}, {"b": 1, "c": 2}]}, True),
    ({"a": {"b": [1]}, "c": [2]}, {"a": [{"b": 0}, {"b": 1}], "c": 2}, True),
    # dotted names
    ({"a.b": ["x"]}, {"a": {"b": "x"}}, True),
    ({"a": {"b": ["x"]}}, {"a.b": "x"}, True),
    ({"a.b": ["x"]}, {"a": {"c": "x"}}, False),
    # $or
    ({"$or": [{"a": ["x"]}, {"b": ["y"]}], "c": ["z"]}, {"b": "y", "c": "z"}, True),
    ({"$or": [{"a": ["x"]}, {"b": ["y"]}], "c": ["z"]}, {"b": "y", "c": "q"}, False),
    ({"$or": [{"a": [{"exists": False}]}, {"a": ["x"]}]}, {}, True),
    ({"$or": ["lit"]}, {"$or": "lit"}, True),
    # misc
    ({}, {"anything": 1}, True),
    ({"a": {"b": ["x"]}}, {"a": '{"b": "x"}'}, False),
    ({"A": ["x"]}, {"a": "x"}, False),
]


@pytest.mark.parametrize(("pattern", "event", "expected"), MATCHING, ids=[json.dumps(m[:2]) for m in MATCHING])
def test_matching(pattern: dict[str, Any], event: dict[str, Any], expected: bool) -> None:
    assert matches_event_pattern(pattern, event) is expected
    assert matches_event_pattern(json.dumps(pattern), json.dumps(event)) is expected


def test_event_text_that_is_not_json_or_not_an_object() -> None:
    assert matches_event_pattern({"a": ["x"]}, "[1, 2]") is False
    with pytest.raises(ValueError, match="Parameter Event is not valid"):
        matches_event_pattern({"a": ["x"]}, "not json")


# ------------------------------------------------------------------------------------------------------------------
# Second opinion: LocalStack's engine (localstack-core 2026.3.0, which LocalStack checks against recordings of AWS),
# on shapes where the docs are silent. Its verdicts were recorded on 2026-12-02 (bench/routing_engines.py runs the
# engines side by side); the table keeps them, so the suite does not need LocalStack installed.

SILENT_PATTERNS: list[dict[str, Any]] = [
    {"d": {"a": [{"exists": True}]}},
    {"d": {"a": [{"exists": False}]}},
    {"d": {"a": {"b": [{"exists": True}]}}},
    {"d": {"a": {"b": [{"exists": False}]}}},
    {"d": {"a.b": ["x"]}},
    {"d": {"a": [None]}},
    {"d": {"a": [{"anything-but": "x"}]}},
    {"d": {"a": [{"anything-but": {"prefix": "x"}}]}},
    {"d": {"a": {"b": ["x"]}}},
    {"d": {"a": [{"numeric": [">", 0]}]}},
]
SILENT_EVENTS: list[dict[str, Any]] = [
    {"d": {}},
    {"d": {"a": []}},
    {"d": {"a": None}},
    {"d": {"a": {}}},
    {"d": {"a": {"b": "x"}}},
    {"d": {"a": [{"b": "x"}, {"c": 1}]}},
    {"d": {"a": [{"b": "y"}]}},
    {"d": {"a": ["x", 5]}},
    {"d": {"a": "xyz"}},
    {"d": {"a": [[1], [2]]}},
]
SILENT_CASES = [(pattern, event) for pattern in SILENT_PATTERNS for event in SILENT_EVENTS]


#: LocalStack's verdict for each of SILENT_CASES, in order (M: match, N: no match, I: invalid).
LOCALSTACK_VERDICTS = [
    {"M": "match", "N": "no match", "I": "invalid"}[letter]
    for letter in (
        "NNMNNNNMMMMMNMMMMNNNNNNNMMMNNNMMMMNMNMMMNNNNMMNNNNNNMNNNNNNNNNMNNNNMMMNNMNNNNMNMNNNNMMNNNNNNNNNNNMNM"
    )
]


def test_agrees_with_localstack_where_docs_are_silent() -> None:
    assert len(SILENT_CASES) == len(LOCALSTACK_VERDICTS) >= 36
    ours = [verdict(pattern, event) for pattern, event in SILENT_CASES]
    disagreements = [
        (json.dumps(pattern), json.dumps(event), mine, other)
        for (pattern, event), mine, other in zip(SILENT_CASES, ours, LOCALSTACK_VERDICTS, strict=True)
        if mine != other
    ]
    assert disagreements == []


# ------------------------------------------------------------------------------------------------------------------
# Property: any JSON as pattern or event only ever raises InvalidEventPattern.

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
keys = st.sampled_from(
    [
        *("a", "b", "a.b", "$or", "prefix", "suffix", "wildcard", "numeric", "cidr", "exists", "anything-but"),
        *("equals-ignore-case", ">", "=", "<="),
    ]
) | st.text(max_size=5)
operator_like = st.sampled_from(["*", "**", "a*b", "\\", "10.0.0.0/24", "::/0", ">", "<=", "="])
json_values = st.recursive(
    json_scalars | operator_like,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=json_values, event=json_values)
def test_never_raises_anything_but_invalid_event_pattern(pattern: Any, event: Any) -> None:
    # A Python str is taken as JSON text, so JSON string values go in encoded.
    event_text = json.dumps(event)
    for candidate in (pattern, json.dumps(pattern)):
        problems = event_pattern_problems(candidate)
        assert isinstance(problems, list)
        try:
            result = matches_event_pattern(candidate, event_text)
        except InvalidEventPattern:
            assert problems
        else:
            assert not problems
            assert isinstance(result, bool)
            if not isinstance(event, str):
                assert matches_event_pattern(candidate, event) is result


# --- Adversity (issue 16's review round): a verdict or the engine's own error, quickly ------------------------------
# Each was a break found by trying to refute that claim: a RecursionError on deep JSON, decimal.Overflow on
# 1e9999999, a wildcard regex that backtracked for seconds, arrays of objects multiplied into millions of element
# combinations. (The same verdicts through the local cloud: tests/localcloud/compat/test_routing_rules.py.)


def _verdict_or_refused(call: Callable[[], object]) -> None:
    with contextlib.suppress(InvalidEventPattern):
        call()


def test_eb_deeply_nested_pattern_text_is_refused_not_recursion_error() -> None:
    text = '{"a":' * 5000 + "[1]" + "}" * 5000
    _verdict_or_refused(lambda: event_pattern_problems(text))


def test_eb_deeply_nested_event_text_is_refused_as_an_event_not_a_recursion_error() -> None:
    event = '{"b":' * 5000 + "1" + "}" * 5000
    with pytest.raises(ValueError, match="Parameter Event is not valid"):
        matches_event_pattern({"a": [1]}, event)


def test_eb_numeric_operand_with_huge_exponent_is_refused_not_decimal_overflow() -> None:
    """abs() of Decimal('1e9999999') overflows the default context (eventbridge.py compile_numeric)."""
    _verdict_or_refused(lambda: event_pattern_problems('{"a": [{"numeric": [">", 1e9999999]}]}'))


# Sizes at which the old code took seconds to minutes (a regex backtracking O(n^4), 80^3 element records,
# subsets x a 1,500-character alphabet): each is now a plain verdict (no timing asserted: the suite would hang).


def test_eb_accepted_wildcard_matches_long_values() -> None:
    """ "*a*a*a*b" is accepted (4 stars); a regex backtracked O(n^4) on 500 a's (2 s; 1,000: 31 s)."""
    pattern = {"f": [{"wildcard": "*a*a*a*b"}]}
    assert event_pattern_problems(pattern) == []
    assert matches_event_pattern(pattern, {"f": "a" * 5000}) is False
    assert matches_event_pattern(pattern, {"f": "a" * 5000 + "b"}) is True


def test_eb_arrays_of_many_objects_give_a_verdict() -> None:
    """Every element choice of every array was a record: 80^3 for three arrays of 80 objects (4 s; 4 x 60: 105 s)."""
    pattern = {"detail": {k: {"x": [1]} for k in "abcd"}}
    event = {"detail": {k: [{"x": 2}] * 79 + [{"x": 1}] for k in "abcd"}}
    assert matches_event_pattern(pattern, event) is True
    assert matches_event_pattern(pattern, {"detail": {**event["detail"], "d": [{"x": 2}] * 80}}) is False


def test_eb_wildcard_complexity_of_a_long_operand_is_judged() -> None:
    """Subsets x alphabet: 1,500 distinct characters after one star took 3 s to judge."""
    operand = "*" + "".join(chr(0x4E00 + i) for i in range(1500))
    assert event_pattern_problems({"f": [{"wildcard": operand}]}) == []
