"""How often each routing engine agrees with AWS on the documentation corpus (issue 16's decision).

Runs every case of ``tests/data/routing/eventbridge_corpus.json`` and ``sns_corpus.json`` through the
engines that import in this interpreter and prints, per engine and corpus, how many verdicts agree with
the documented outcome, how many disagree, and how many crash (an exception where a verdict was due).

    .venv/bin/python bench/routing_engines.py            # moto (and the library's validator)
    /path/to/venv-with-localstack-core/bin/python bench/routing_engines.py   # adds localstack-core

Engines: ``event_routing`` (this project's, :mod:`event_routing`), ``moto``
(``moto.events.models.EventPattern``, ``moto.sns.utils.FilterPolicyMatcher`` and the SNS backend's
subscribe-time validation), ``localstack`` (``localstack.services.events.event_rule_engine`` and
``localstack.services.sns.filter``, used as a library), ``library`` (validity only:
``event_constructs.filter_policy_problems``).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "routing"

#: An engine's verdict on a case: "match", "no match" or "invalid"; an exception is a crash.
Verdict = Callable[[dict[str, Any]], str]


def _moto_events() -> Verdict:
    from moto.events.models import EventPattern

    def verdict(case: dict[str, Any]) -> str:
        try:
            pattern = EventPattern.load(json.dumps(case["pattern"]))
        except Exception as error:  # moto signals an invalid pattern in several ways
            if type(error).__name__ in ("InvalidEventPatternException", "ValidationException"):
                return "invalid"
            raise
        if case["event"] is None:
            return "valid"
        return "match" if pattern.matches_event(case["event"]) else "no match"

    return verdict


def _moto_sns() -> Verdict:
    from moto.sns.models import SNSBackend
    from moto.sns.utils import FilterPolicyMatcher

    backend = SNSBackend("us-east-1", "123456789012")

    def verdict(case: dict[str, Any]) -> str:
        try:
            backend._validate_filter_policy(case["policy"], scope=case["scope"])
        except Exception as error:
            if "InvalidParameter" in type(error).__name__ or "Invalid" in str(error):
                return "invalid"
            raise
        if case["message"] is None:
            return "valid"
        matcher = FilterPolicyMatcher(case["policy"], case["scope"])
        attributes = case["message"].get("attributes") or {}
        body = case["message"].get("body", "")
        return (
            "match" if matcher.matches(attributes, body if isinstance(body, str) else json.dumps(body)) else "no match"
        )

    return verdict


def _localstack_events() -> Verdict:
    from localstack.services.events.event_rule_engine import EventPatternCompiler, EventRuleEngine  # type: ignore[import-not-found]

    compiler, engine = EventPatternCompiler(), EventRuleEngine()

    def verdict(case: dict[str, Any]) -> str:
        try:
            compiled = compiler.compile_event_pattern(case["pattern"])
        except Exception as error:
            if type(error).__name__ == "InvalidEventPatternException":
                return "invalid"
            raise
        if case["event"] is None:
            return "valid"
        return "match" if engine.evaluate_pattern_on_event(compiled, case["event"]) else "no match"

    return verdict


def _localstack_sns() -> Verdict:
    from localstack.services.sns.filter import FilterPolicyValidator, SubscriptionFilter  # type: ignore[import-not-found]

    matcher = SubscriptionFilter()

    def verdict(case: dict[str, Any]) -> str:
        try:
            FilterPolicyValidator(case["scope"], is_subscribe_call=True).validate_filter_policy(case["policy"])
        except Exception as error:
            if type(error).__name__ == "InvalidParameterException":
                return "invalid"
            raise
        if case["message"] is None:
            return "valid"
        if case["scope"] == "MessageBody":
            body = case["message"].get("body", "")
            text = body if isinstance(body, str) else json.dumps(body)
            return "match" if matcher.check_filter_policy_on_message_body(case["policy"], text) else "no match"
        attributes = case["message"].get("attributes") or {}
        found = matcher.check_filter_policy_on_message_attributes(case["policy"], attributes)
        return "match" if found else "no match"

    return verdict


def _own_events() -> Verdict:
    from event_routing.eventbridge import InvalidEventPattern, event_pattern_problems, matches_event_pattern

    def verdict(case: dict[str, Any]) -> str:
        if event_pattern_problems(case["pattern"]):
            return "invalid"
        if case["event"] is None:
            return "valid"
        try:
            return "match" if matches_event_pattern(case["pattern"], case["event"]) else "no match"
        except InvalidEventPattern:
            return "invalid"

    return verdict


def _own_sns() -> Verdict:
    from event_routing.sns import filter_policy_problems, matches_filter_policy

    def verdict(case: dict[str, Any]) -> str:
        if filter_policy_problems(case["policy"], case["scope"]):
            return "invalid"
        if case["message"] is None:
            return "valid"
        body = case["message"].get("body", "")
        found = matches_filter_policy(
            case["policy"],
            scope=case["scope"],
            message_attributes=case["message"].get("attributes"),
            body=body if isinstance(body, str) else json.dumps(body),
        )
        return "match" if found else "no match"

    return verdict


def _library_sns() -> Verdict:
    from event_constructs import filter_policy_problems

    def verdict(case: dict[str, Any]) -> str:
        scope = "body" if case["scope"] == "MessageBody" else "attributes"
        return "invalid" if filter_policy_problems(case["policy"], scope=scope) else "valid"

    return verdict


ENGINES: dict[str, dict[str, Callable[[], Verdict]]] = {
    "event_routing": {"eventbridge": _own_events, "sns": _own_sns},
    "moto": {"eventbridge": _moto_events, "sns": _moto_sns},
    "localstack": {"eventbridge": _localstack_events, "sns": _localstack_sns},
    "library": {"sns": _library_sns},
}


def agreement(verdict: Verdict, cases: list[dict[str, Any]]) -> tuple[Counter[str], list[str]]:
    counts: Counter[str] = Counter()
    wrong = []
    for case in cases:
        expected = case["expected"]
        try:
            got = verdict(case)
        except Exception as error:
            counts["crash"] += 1
            wrong.append(f"{case['id']}: expected {expected}, crashed with {type(error).__name__}")
            continue
        # "valid": a validity-only engine (or a case without a message), right unless AWS refuses the policy
        agreed = expected != "invalid" if got == "valid" else got == expected
        counts["agree" if agreed else "disagree"] += 1
        if not agreed:
            wrong.append(f"{case['id']}: expected {expected}, got {got}")
    return counts, wrong


def main() -> None:
    verbose = "-v" in sys.argv
    for engine, corpora in ENGINES.items():
        for corpus, make in corpora.items():
            text = (DATA / f"{corpus}_corpus.json").read_text()
            cases = json.loads(text)["cases"]
            if engine == "event_routing" and corpus == "eventbridge":  # numbers as spelled (300 is not 300.0)
                from event_routing.eventbridge import parse_json

                cases = parse_json(text)["cases"]
            started = time.perf_counter()
            try:
                verdict = make()
            except ImportError as error:
                print(f"{engine:13} {corpus:11} not importable here ({error.name})")
                continue
            imported = time.perf_counter() - started
            counts, wrong = agreement(verdict, cases)
            print(
                f"{engine:13} {corpus:11} agree {counts['agree']:3}/{len(cases)}  disagree {counts['disagree']:3}"
                f"  crash {counts['crash']:3}  (import {imported:.2f} s)"
            )
            if verbose:
                for line in wrong:
                    print(f"    {line}")


if __name__ == "__main__":
    main()
