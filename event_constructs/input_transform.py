"""EventBridge input transformation from a typed mapping, checked at synth.

Example:
    >>> mapping = InputMapping(paths={"order_id": "$.detail.order_id", "amount": "$.detail.total"},
    ...                        constants={"priority": "high"})
    >>> mapping.problems()
    []
    >>> input_template_problems({"id": "$.detail.id"}, '{"id": <id>, "total": <total>}')
    ['the input template uses <total>, which is not in the input paths map (it has: id)']
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import aws_events as events

from event_routing.eventbridge import MAX_INPUT_PATHS

EVENT_TOP_LEVEL_FIELDS = frozenset(
    {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
)
_VARIABLE = re.compile(r"<([^<>\s]+)>")
_PATH = re.compile(r"^\$(\.[A-Za-z0-9_-]+)+$")


@dataclass(frozen=True)
class InputMapping:
    """Output field -> JSON path in the event (``$.detail.total``), plus constant fields."""

    paths: Mapping[str, str]
    constants: Mapping[str, Any] = field(default_factory=dict)

    def problems(self) -> list[str]:
        found = []
        if not self.paths:
            found.append("an input mapping needs at least one path; to send a fixed input, use constants only")
        if len(self.paths) > MAX_INPUT_PATHS:
            found.append(f"an input mapping may have at most {MAX_INPUT_PATHS} paths, not {len(self.paths)}")
        for name, path in self.paths.items():
            if not _PATH.match(path):
                found.append(f"input field '{name}': '{path}' is not a JSON path like $.detail.order_id")
            elif path.split(".")[1] not in EVENT_TOP_LEVEL_FIELDS:
                found.append(
                    f"input field '{name}': '{path}' does not start at an event field "
                    f"({', '.join(sorted(EVENT_TOP_LEVEL_FIELDS))})"
                )
        for name in sorted(set(self.paths) & set(self.constants)):
            found.append(f"input field '{name}' is both a path and a constant; keep one")
        for name, value in self.constants.items():
            try:
                json.dumps(value)
            except TypeError:
                found.append(f"input constant '{name}' is not JSON ({type(value).__name__})")
        return found

    def to_rule_target_input(self) -> events.RuleTargetInput:
        return events.RuleTargetInput.from_object(
            {**{name: events.EventField.from_path(path) for name, path in self.paths.items()}, **self.constants}
        )


def input_template_problems(paths_map: Mapping[str, str], template: str) -> list[str]:
    """Problems of a rendered InputTransformer: unknown variables, invalid JSON after substitution."""
    found = []
    variables = _VARIABLE.findall(template)
    for variable in sorted(set(variables) - set(paths_map)):
        found.append(
            f"the input template uses <{variable}>, which is not in the input paths map "
            f"(it has: {', '.join(sorted(paths_map)) or 'nothing'})"
        )
    # EventBridge replaces an unquoted variable with a JSON value and a quoted one with text.
    substituted = _VARIABLE.sub(lambda match: '"x"', re.sub(r'"<([^<>\s]+)>"', '"x"', template))
    try:
        json.loads(substituted)
    except json.JSONDecodeError as error:
        found.append(f"the input template is not valid JSON after substitution: {error}")
    return found
