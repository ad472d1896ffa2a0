"""EventBridge InputTransformer, rendered as AWS does: moto substitutes values without JSON quoting,
so ``{"id": <order_id>}`` becomes ``{"id": o-1}`` and the target gets invalid JSON.

The rules (user guide: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html,
"Input transform examples" and "Common issues with transforming input"; the tests cite each one):

* A placeholder in a JSON value position (outside any string) becomes the value as JSON: a string gets
  quotes (the template author need not add them), a number, boolean, null, object or array is written
  as JSON, unquoted.
* A placeholder inside a JSON string (a string template ``"..."`` or a string in a JSON template)
  becomes the value's text: a string's characters (kept valid inside the string, so quotes, backslashes
  and newlines read back as themselves), a number's or boolean's JSON text, and an object or array with
  its internal quotes removed (``"Detail is {resourceType: [ec2]}"``).
* A path missing from the event: the variable "isn't created and won't appear in the output": nothing
  inside a string, ``""`` in a value position (what AWS delivered in LocalStack's AWS-recorded snapshot).
* Predefined variables: ``aws.events.rule-arn`` and ``aws.events.rule-name`` (strings),
  ``aws.events.event.ingestion-time`` (an ISO 8601 timestamp, not overridable),
  ``aws.events.event`` (the event without ``detail``) and ``aws.events.event.json`` (the whole event).
  The last two are inserted unescaped, so they only make sense as JSON values: inline in a string
  they make the output invalid JSON, as on AWS.
* A template that is not JSON (e.g. several quoted lines) is delivered as text, values inserted as text.

What the target receives: ``render`` parses the rendered text as JSON (a string template gives a
``str``) and gives the text itself when it is not JSON.

>>> render({"InputPathsMap": {"id": "$.detail.id", "n": "$.detail.n", "gone": "$.detail.gone"},
...         "InputTemplate": '{"order": <id>, "note": "order <id> of <n><gone>", "n": <n>, "g": <gone>}'},
...        {"detail": {"id": "o-1", "n": 2}})
{'order': 'o-1', 'note': 'order o-1 of 2', 'n': 2, 'g': ''}

``install`` also validates each target's InputTransformer on PutTargets as AWS does: at most 100
InputPathsMap entries, keys of 1-256 characters ``[A-Za-z0-9_-]``, paths of at most 256 characters, an
InputTemplate of 1-8192 characters, and no placeholder that is neither a key nor a predefined variable
(AWS: "InputTemplate for target <id> contains invalid placeholder <name>.").

Not modelled: JSONPath wildcards (``*``) and any path syntax beyond dot notation and array indices
(such a path is treated as missing); how AWS writes numbers (from the event's JSON text; here Python's
``json``); minification of the delivered JSON; the exact messages of the length/pattern validations;
rule ARN and name when ``render`` is called without them (they are then treated as missing).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Final
from unittest import mock

from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp
from moto.events import models as events_models
from moto.events.exceptions import ValidationException

from event_routing.eventbridge import MAX_INPUT_PATHS
from localcloud.settings import LocalCloudSettings

GAP = "moto's InputTransformer does not quote string values (targets get invalid JSON)"

RULE_ARN: Final = "aws.events.rule-arn"
RULE_NAME: Final = "aws.events.rule-name"
INGESTION_TIME: Final = "aws.events.event.ingestion-time"
EVENT: Final = "aws.events.event"
EVENT_JSON: Final = "aws.events.event.json"
PREDEFINED: Final = frozenset({RULE_ARN, RULE_NAME, INGESTION_TIME, EVENT, EVENT_JSON})
_UNESCAPED: Final = frozenset({EVENT, EVENT_JSON})

MAX_KEY_LENGTH: Final = 256
MAX_PATH_LENGTH: Final = 256
MAX_TEMPLATE_LENGTH: Final = 8192
_KEY = re.compile(r"[A-Za-z0-9_\-]+")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_PATH_PART = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")

_MISSING: Final = object()
# moto adds this key to the events it routes; it is no part of an AWS event.
_MOTO_ONLY_KEYS: Final = ("ingestion-time",)

_current_rule: ContextVar[tuple[str, str] | None] = ContextVar("eventbridge_rule", default=None)


def _lookup(event: Any, path: str) -> Any:
    """The value at a JSONPath (dot notation and array indices), or ``_MISSING``."""
    path = path.strip()
    if path == "$":
        return event
    if not path.startswith("$."):
        return _MISSING
    value = event
    for part in path[2:].split("."):
        match = _PATH_PART.fullmatch(part)
        if match is None or not isinstance(value, dict) or match.group(1) not in value:
            return _MISSING
        value = value[match.group(1)]
        for index in re.findall(r"\[(\d+)\]", match.group(2)):
            if not isinstance(value, list) or int(index) >= len(value):
                return _MISSING
            value = value[int(index)]
    return value


def _iso8601(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, str) and value:
        return value
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _variables(
    paths_map: dict[str, str], event: dict[str, Any], rule_arn: str | None, rule_name: str | None
) -> dict[str, Any]:
    original = {k: v for k, v in event.items() if k not in _MOTO_ONLY_KEYS}
    values: dict[str, Any] = {name: _lookup(original, path) for name, path in paths_map.items()}
    # Reserved names: "you can't create variables with these names" / "can't be overwritten".
    values[RULE_ARN] = rule_arn if rule_arn is not None else _MISSING
    values[RULE_NAME] = rule_name if rule_name is not None else _MISSING
    values[INGESTION_TIME] = _iso8601(event.get("ingestion-time", event.get("time")))
    # AWS delivers aws.events.event without detail and with detail-type spelled detailType.
    values[EVENT] = {("detailType" if k == "detail-type" else k): v for k, v in original.items() if k != "detail"}
    values[EVENT_JSON] = original
    return values


def _segments(template: str, names: set[str]) -> Iterator[tuple[str, bool, str | None]]:
    """The template in order as (text, in_string, None) literals and ("<name>", in_string, name) placeholders
    of known names; ``in_string`` says whether it lies inside a JSON string of the template."""
    in_string = False
    position = 0
    literal_start = 0
    while position < len(template):
        char = template[position]
        if char == "<":
            match = _PLACEHOLDER.match(template, position)
            if match and match.group(1) in names:
                if literal_start < position:
                    yield template[literal_start:position], in_string, None
                yield match.group(0), in_string, match.group(1)
                position = literal_start = match.end()
                continue
        if in_string and char == "\\":
            position += 2
            continue
        if char == '"':
            in_string = not in_string
        position += 1
    if literal_start < len(template):
        yield template[literal_start:], in_string, None


def _unquoted(value: Any) -> str:
    """An object or array as text with its quotes removed, as AWS writes one inside a string."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_unquoted(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_unquoted(v) for v in value) + "]"
    return value if isinstance(value, str) else json.dumps(value)


def _in_string(name: str, value: Any) -> str:
    if value is _MISSING:
        return ""
    if name in _UNESCAPED:
        return json.dumps(value, ensure_ascii=False)  # "its contents are not escaped"
    text = _unquoted(value) if isinstance(value, dict | list) else value
    if not isinstance(text, str):
        return json.dumps(text)
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _as_value(value: Any) -> str:
    return '""' if value is _MISSING else json.dumps(value, ensure_ascii=False)


def _as_text(value: Any) -> str:
    if value is _MISSING:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def render_text(
    paths_map: dict[str, str],
    template: str,
    event: dict[str, Any],
    *,
    rule_arn: str | None = None,
    rule_name: str | None = None,
) -> str:
    """The text EventBridge delivers for ``event``, before any JSON parsing."""
    values = _variables(paths_map or {}, event, rule_arn, rule_name)
    segments = list(_segments(template, set(values)))
    # A template is JSON when it parses with its placeholders standing for values.
    skeleton = "".join(text if name is None else "" if in_string else "null" for text, in_string, name in segments)
    try:
        json.loads(skeleton)
        is_json = True
    except json.JSONDecodeError:
        is_json = False
    out: list[str] = []
    for text, in_string, name in segments:
        if name is None:
            out.append(text)
        elif in_string:
            out.append(_in_string(name, values[name]))
        else:
            out.append(_as_value(values[name]) if is_json else _as_text(values[name]))
    return "".join(out)


def render(
    input_transformer: dict[str, Any],
    event: dict[str, Any],
    *,
    rule_arn: str | None = None,
    rule_name: str | None = None,
) -> Any:
    """What the target receives: the rendered template as JSON, or as text when it is not JSON."""
    text = render_text(
        input_transformer.get("InputPathsMap") or {},
        input_transformer["InputTemplate"],
        event,
        rule_arn=rule_arn,
        rule_name=rule_name,
    )
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def problems(input_transformer: dict[str, Any], target_id: str = "") -> list[str]:
    """Why PutTargets would refuse ``input_transformer`` (empty when it would accept it)."""
    found: list[str] = []
    paths_map = input_transformer.get("InputPathsMap") or {}
    template = input_transformer.get("InputTemplate")
    if len(paths_map) > MAX_INPUT_PATHS:
        found.append(f"InputPathsMap of target {target_id} has {len(paths_map)} entries; at most {MAX_INPUT_PATHS}.")
    for key, path in paths_map.items():
        if not (1 <= len(key) <= MAX_KEY_LENGTH and _KEY.fullmatch(key)):
            found.append(f"InputPathsMap key {key!r} of target {target_id} must match [A-Za-z0-9_-]+ (1-256).")
        if not isinstance(path, str) or len(path) > MAX_PATH_LENGTH:
            found.append(f"InputPathsMap path for {key!r} of target {target_id} must be at most 256 characters.")
    if not isinstance(template, str) or not 1 <= len(template) <= MAX_TEMPLATE_LENGTH:
        found.append(f"InputTemplate of target {target_id} must be 1-{MAX_TEMPLATE_LENGTH} characters.")
        return found
    for name in dict.fromkeys(_PLACEHOLDER.findall(template)):
        if name not in paths_map and name not in PREDEFINED:
            found.append(f"InputTemplate for target {target_id} contains invalid placeholder {name}.")
    return found


_original_parse = events_models.EventTemplateParser.parse


def as_aws_sends(event: Any) -> Any:
    """``event`` with ``time`` as AWS writes it (ISO 8601, ``2017-12-22T18:43:48Z``): moto keeps a unix number
    until it delivers, so rules and templates would otherwise see a number where AWS has a string."""
    if isinstance(event, dict) and isinstance(event.get("time"), int | float) and not isinstance(event["time"], bool):
        return {**event, "time": iso_8601_datetime_without_milliseconds(utcfromtimestamp(event["time"]))}
    return event


def _parse(input_template: str | None, input_paths_map: dict[str, Any], event: Any) -> Any:
    if not input_template:
        return _original_parse(input_template, input_paths_map, event)  # type: ignore[arg-type]
    rule = _current_rule.get()
    return render(
        {"InputPathsMap": input_paths_map or {}, "InputTemplate": input_template},
        as_aws_sends(event),
        rule_arn=rule[0] if rule else None,
        rule_name=rule[1] if rule else None,
    )


@contextmanager
def rule_context(rule_arn: str, rule_name: str) -> Iterator[None]:
    """Within the block, moto's parse renders the predefined rule variables with this rule."""
    token = _current_rule.set((rule_arn, rule_name))
    try:
        yield
    finally:
        _current_rule.reset(token)


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    original_send = events_models.Rule.send_to_targets
    original_put_targets = events_models.EventsBackend.put_targets

    def send_to_targets(self: events_models.Rule, original_event: Any, transform_input: bool = True) -> None:
        with rule_context(self.arn, self.name):
            original_send(self, original_event, transform_input)

    def put_targets(
        self: events_models.EventsBackend, name: str, event_bus_arn: str | None, targets: list[dict[str, Any]]
    ) -> None:
        for target in targets:
            if "InputTransformer" in target and (found := problems(target["InputTransformer"], target.get("Id", ""))):
                raise ValidationException(found[0])
        original_put_targets(self, name, event_bus_arn, targets)

    stack.enter_context(mock.patch.object(events_models.EventTemplateParser, "parse", staticmethod(_parse)))
    stack.enter_context(mock.patch.object(events_models.Rule, "send_to_targets", send_to_targets))
    stack.enter_context(mock.patch.object(events_models.EventsBackend, "put_targets", put_targets))
