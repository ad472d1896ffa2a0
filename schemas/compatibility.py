"""Is a new JSON Schema backward compatible with the last published one, as a registry's BACKWARD mode asks?

BACKWARD: a reader on the new schema still reads everything written to the old one. So, field by
field (``$ref`` resolved, unions matched by their members' titles), a new schema may not:

- remove or rename a field, or a member of a union;
- require a field the old one did not;
- narrow a type (a type the old allowed that the new does not), a length, a range, a ``multipleOf``,
  money's digits or places (``x-max-digits``, ``x-decimal-places``), an ``enum``, or change a
  ``pattern``, a ``const`` or a ``format``;
- forbid or constrain additional properties the old allowed, or require unique items;
- change a conditional rule (``if``/``then``/``else``, ``allOf``, ``not``, ``dependentRequired``): a
  change there may narrow, so it needs a new version (compared as a whole, not reasoned about);
- change a default (a reader would fill a field the writer left out with another value).

A rule a reader enforces that JSON Schema cannot state (a validator's check, a cross-field rule) is
invisible here: the schemas list such rules as ``x-reader-rules``, and a change to that list counts too.

Loosening (a new optional field, a wider range, one more enum value) is compatible. This checks the
subset of JSON Schema the app's models generate; it is not a general schema comparator.

Example:
    >>> old = {"type": "object", "properties": {"id": {"type": "string", "maxLength": 64}}, "required": ["id"]}
    >>> backward_problems(old, {**old, "properties": {"id": {"type": "string", "maxLength": 32}}})
    ['id: maxLength narrowed from 64 to 32']
    >>> backward_problems(old, {**old, "properties": {**old["properties"], "note": {"type": "string"}}})
    []
"""

from __future__ import annotations

from typing import Any

#: (pydantic does not write a Decimal's digits and places into a schema: the money types state them as
#: the annotations ``x-max-digits`` and ``x-decimal-places``, compared here.)
_NARROWER_IF_SMALLER = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "x-max-digits", "x-decimal-places")
_COMPARED_WHOLE = ("if", "then", "else", "allOf", "not", "dependentRequired")
_NARROWER_IF_LARGER = ("minLength", "minimum", "exclusiveMinimum", "minItems")


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    """``schema`` with every local ``$ref`` (``#/$defs/...``) replaced by what it points to."""
    if isinstance(schema, list):
        return [_resolve(item, root) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return _resolve({**target, **{k: v for k, v in schema.items() if k != "$ref"}}, root)
    return {key: _resolve(value, root) for key, value in schema.items() if key not in ("$defs", "definitions")}


def _alternatives(schema: dict[str, Any]) -> list[dict[str, Any]]:
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [alternative for alternative in schema[key] if isinstance(alternative, dict)]
    return [schema]


def _types(schema: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for alternative in _alternatives(schema):
        kind = alternative.get("type")
        found |= set(kind) if isinstance(kind, list) else ({kind} if kind else {"any"})
    return found


def _keywords(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    """The narrowings of this level's own keywords (lengths, ranges, enum, pattern ...)."""
    problems = []
    for key in _NARROWER_IF_SMALLER:
        if key in new and (key not in old or new[key] < old[key]):
            problems.append(f"{where}: {key} narrowed from {old.get(key, 'none')} to {new[key]}")
    for key in _NARROWER_IF_LARGER:
        if key in new and (key not in old or new[key] > old[key]):
            problems.append(f"{where}: {key} narrowed from {old.get(key, 'none')} to {new[key]}")
    if "enum" in new:
        dropped = sorted(map(str, set(old["enum"]) - set(new["enum"]))) if "enum" in old else ["any other value"]
        if dropped:
            problems.append(f"{where}: enum narrowed, no longer {', '.join(dropped)}")
    for key in ("pattern", "const", "format"):
        if key in new and new.get(key) != old.get(key):
            problems.append(f"{where}: {key} changed from {old.get(key)!r} to {new[key]!r}")
    if "multipleOf" in new and (
        "multipleOf" not in old or (old["multipleOf"] / new["multipleOf"]) != int(old["multipleOf"] / new["multipleOf"])
    ):
        problems.append(f"{where}: multipleOf narrowed from {old.get('multipleOf', 'none')} to {new['multipleOf']}")
    if new.get("uniqueItems") and not old.get("uniqueItems"):
        problems.append(f"{where}: items newly required to be unique")
    for key in _COMPARED_WHOLE:
        if key in new and new[key] != old.get(key):
            problems.append(f"{where or 'the message'}: conditional rule {key!r} added or changed")
    if "default" in old and "default" in new and new["default"] != old["default"]:
        problems.append(f"{where}: default changed from {old['default']!r} to {new['default']!r}")
    added_rules = sorted(set(new.get("x-reader-rules", [])) - set(old.get("x-reader-rules", [])))
    for rule in added_rules:
        problems.append(f"{where or 'the message'}: reader rule added: {rule}")
    return problems


def _compare(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    problems = _keywords(old, new, where)
    old_alternatives, new_alternatives = _alternatives(old), _alternatives(new)
    if len(old_alternatives) == 1 and len(new_alternatives) > 1:  # a field made nullable, say: one must be as wide
        wide = [m for m in new_alternatives if not _compare({**old, "title": None}, {**m, "title": None}, where)]
        return problems + ([] if wide else _compare_unions(old_alternatives, new_alternatives, where))
    if len(old_alternatives) > 1 or len(new_alternatives) > 1:
        return problems + _compare_unions(old_alternatives, new_alternatives, where)
    lost = _types(old) - _types(new) - {"any"} if "any" not in _types(new) else set()
    if lost:
        problems.append(f"{where}: type narrowed, no longer {', '.join(sorted(lost))}")
    if "properties" in old or "properties" in new:
        problems += _compare_objects(old, new, where)
    if "items" in old and "items" in new:
        problems += _compare(old["items"], new["items"], f"{where}[]")
    return problems


def _compare_unions(old: list[dict[str, Any]], new: list[dict[str, Any]], where: str) -> list[str]:
    """Each member of the old union must have a member of the new one at least as wide (matched by title,
    else by type)."""
    problems = []
    for member in old:
        label = member.get("title") or member.get("type") or "member"
        same = [m for m in new if member.get("title") and m.get("title") == member.get("title")]
        same = same or [m for m in new if not member.get("title") and _types(member) <= _types(m)]
        if not same:
            problems.append(f"{where}: union member {label} removed")
            continue
        problems += _compare(member, same[0], f"{where}<{label}>" if where else str(label))
    return problems


def _compare_objects(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    problems = []
    prefix = f"{where}." if where else ""
    old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
    for name in sorted(set(old_fields) - set(new_fields)):
        problems.append(f"{prefix}{name}: removed (or renamed)")
    for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        problems.append(f"{prefix}{name}: newly required")
    old_extra, new_extra = old.get("additionalProperties", True), new.get("additionalProperties", True)
    if new_extra is False and old_extra is not False:
        problems.append(f"{where or 'the message'}: additional properties newly forbidden")
    elif isinstance(new_extra, dict) and new_extra != old_extra:
        problems.append(f"{where or 'the message'}: additional properties newly constrained")
    for name in sorted(set(old_fields) & set(new_fields)):
        problems += _compare(old_fields[name], new_fields[name], f"{prefix}{name}")
    return problems


def backward_problems(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why ``new`` cannot read what was written to ``old`` (empty when it can)."""
    return _compare(_resolve(old, old), _resolve(new, new), "")
