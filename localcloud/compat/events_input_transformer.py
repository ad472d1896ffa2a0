"""EventBridge InputTransformer, rendered as AWS does: moto substitutes values without JSON quoting,
so ``{"id": <order_id>}`` becomes ``{"id": o-1}`` and the target gets invalid JSON.

AWS's rule: a placeholder that stands for a whole JSON value is replaced by the value as JSON (a
string gets quotes); a placeholder inside a JSON string is replaced by its text.

>>> render({"InputPathsMap": {"id": "$.detail.id", "n": "$.detail.n"},
...         "InputTemplate": '{"order": <id>, "note": "order <id> of <n>", "n": <n>}'},
...        {"detail": {"id": "o-1", "n": 2}})
{'order': 'o-1', 'note': 'order o-1 of 2', 'n': 2}
"""

from __future__ import annotations

import json
import re
from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.events import models as events_models

from localcloud.settings import LocalCloudSettings

GAP = "moto's InputTransformer does not quote string values (targets get invalid JSON)"

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def _lookup(event: Any, path: str) -> Any:
    value = event
    for part in path.removeprefix("$").lstrip(".").split("."):
        if not part:
            continue
        value = value.get(part) if isinstance(value, dict) else None
    return value


def render_text(paths_map: dict[str, str], template: str, event: dict[str, Any]) -> str:
    """The text EventBridge delivers for ``event``, before any JSON parsing."""
    values = {name: _lookup(event, path) for name, path in paths_map.items()}
    values.setdefault("aws.events.event", event)
    values.setdefault("aws.events.event.json", event)
    values.setdefault("aws.events.event.ingestion-time", event.get("ingestion-time"))
    out: list[str] = []
    in_string = False
    position = 0
    while position < len(template):
        char = template[position]
        match = _PLACEHOLDER.match(template, position) if char == "<" else None
        if match and match.group(1) in values:
            value = values[match.group(1)]
            if in_string:
                text = value if isinstance(value, str) else json.dumps(value)
                out.append(json.dumps(text)[1:-1])
            else:
                out.append(json.dumps(value))
            position = match.end()
            continue
        if char == '"' and (position == 0 or template[position - 1] != "\\"):
            in_string = not in_string
        out.append(char)
        position += 1
    return "".join(out)


def render(input_transformer: dict[str, Any], event: dict[str, Any]) -> Any:
    """What the target receives: the rendered template as JSON, or as text when it is not JSON."""
    text = render_text(input_transformer.get("InputPathsMap", {}), input_transformer["InputTemplate"], event)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


_original_parse = events_models.EventTemplateParser.parse


def _parse(input_template: str | None, input_paths_map: dict[str, Any], event: Any) -> Any:
    if not input_template:
        return _original_parse(input_template, input_paths_map, event)  # type: ignore[arg-type]
    return render({"InputPathsMap": input_paths_map or {}, "InputTemplate": input_template}, event)


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    stack.enter_context(mock.patch.object(events_models.EventTemplateParser, "parse", staticmethod(_parse)))
