"""EventBridge patterns and SNS filter policies decided by :mod:`event_routing`, as AWS decides them.

moto's matchers disagree with AWS on valid input (``exists`` on arrays, dotted keys, ``$or`` and
``cidr`` in body policies, nested arrays), give verdicts on patterns AWS refuses, crash on some
(a TypeError on a ``$or`` body policy at Publish), and moto answers TestEventPattern with nothing.
Here every place the local cloud routes uses the one engine the library and ``eventctl`` use:
PutRule and archive patterns are validated by it, rules and archives match with it (on the event
as AWS writes it: ``time`` in ISO 8601), TestEventPattern answers with it, and SNS subscriptions
validate and filter with it (re-judged when FilterPolicyScope changes after FilterPolicy).

Not modelled: moto parses a PutEvents ``Detail`` with floats, so a rule matching a number exactly
compares its value there (``1.10`` matches ``[1.1]``), where AWS and TestEventPattern compare its text.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.events.exceptions import InvalidEventPatternException
from moto.events.models import EventPattern
from moto.events.responses import EventsHandler
from moto.sns.exceptions import SNSInvalidParameter
from moto.sns.models import SNSBackend
from moto.sns.utils import FilterPolicyMatcher

from event_routing.eventbridge import event_pattern_problems, matches_event_pattern
from event_routing.sns import Scope, filter_policy_problems, matches_filter_policy
from localcloud.compat.events_input_transformer import as_aws_sends
from localcloud.settings import LocalCloudSettings

GAP = "moto's EventBridge and SNS matchers disagree with AWS, and moto does not answer TestEventPattern"


def _load(cls: type[EventPattern], raw_pattern: str | None) -> EventPattern:
    if not raw_pattern:
        return cls(raw_pattern, {})
    problems = event_pattern_problems(raw_pattern)
    if problems:
        raise InvalidEventPatternException(reason="; ".join(problems))
    return cls(raw_pattern, json.loads(raw_pattern) if isinstance(raw_pattern, str) else raw_pattern)


def _matches_event(self: EventPattern, event: Any) -> bool:
    if not self._pattern:
        return True  # a rule or archive without a pattern takes every event
    raw = self._raw_pattern if isinstance(self._raw_pattern, str) else self._pattern
    try:
        return matches_event_pattern(raw, json.loads(json.dumps(as_aws_sends(event), default=str)))
    except ValueError:  # an event EventBridge would not have accepted (nested too deeply): no rule takes it
        return False


def _test_event_pattern(self: EventsHandler) -> tuple[str, dict[str, Any]]:
    pattern, event = self._get_param("EventPattern"), self._get_param("Event")
    problems = event_pattern_problems(pattern or "")
    if problems:
        raise InvalidEventPatternException(reason="; ".join(problems))
    return json.dumps({"Result": matches_event_pattern(pattern, event)}), self.response_headers


def _set_subscription_attributes(self: SNSBackend, arn: str, name: str, value: Any) -> None:
    """Setting FilterPolicyScope after FilterPolicy re-judges the policy in its new scope (moto kept the old one)."""
    _original_set_subscription_attributes(self, arn, name, value)
    if name != "FilterPolicyScope":
        return
    for subscription in self.subscriptions.values():
        if subscription.arn == arn and subscription._filter_policy:
            self._validate_filter_policy(subscription._filter_policy, scope=value)
            subscription._filter_policy_matcher = FilterPolicyMatcher(subscription._filter_policy, value)


_original_set_subscription_attributes = SNSBackend.set_subscription_attributes


def _validate_filter_policy(self: SNSBackend, value: Any, scope: str | None) -> None:
    problems = filter_policy_problems(value, "MessageBody" if scope == "MessageBody" else "MessageAttributes")
    if problems:
        raise SNSInvalidParameter(f"Invalid parameter: FilterPolicy: {problems[0]}")


def _matches(self: FilterPolicyMatcher, message_attributes: dict[str, Any] | None, message: str) -> bool:
    if not self.filter_policy:
        return True
    scope: Scope = "MessageBody" if self.filter_policy_scope == "MessageBody" else "MessageAttributes"
    return matches_filter_policy(self.filter_policy, scope=scope, message_attributes=message_attributes, body=message)


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    stack.enter_context(mock.patch.object(EventPattern, "load", classmethod(_load)))
    stack.enter_context(mock.patch.object(EventPattern, "matches_event", _matches_event))
    stack.enter_context(mock.patch.object(EventsHandler, "test_event_pattern", _test_event_pattern))
    stack.enter_context(mock.patch.object(SNSBackend, "_validate_filter_policy", _validate_filter_policy))
    stack.enter_context(mock.patch.object(SNSBackend, "set_subscription_attributes", _set_subscription_attributes))
    stack.enter_context(mock.patch.object(FilterPolicyMatcher, "matches", _matches))
