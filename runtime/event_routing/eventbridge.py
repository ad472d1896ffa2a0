"""EventBridge event patterns: a validator and a matcher that decide as AWS decides (standard library only).

Two passes. :func:`event_pattern_problems` walks the pattern once, collecting every problem with the path where it
sits, and at the same time compiles the pattern into a small tree of fields and ``$or`` alternatives.
:func:`matches_event_pattern` runs that tree over the event.

Sources, in the order they were trusted:

1. The project's corpus of cases taken from the AWS documentation (``tests/data/routing/eventbridge_corpus.json``).
2. The EventBridge user guide (event patterns, comparison operators / content filtering, arrays, null values,
   best practices) and the PutRule / TestEventPattern API references.  The reasons in problems reuse the wording
   AWS puts after ``Event pattern is not valid. Reason:`` where that wording is known.
3. For behaviour the docs do not state, LocalStack's event rule engine and the AWS-recorded test templates that
   LocalStack keeps next to it (``tests/aws/services/events/event_pattern_templates``).  Behaviours resting on
   this second opinion:

   - a dotted pattern key names a nested path and a dotted event key counts as one too: ``{"a.b": [1]}`` matches
     ``{"a": {"b": 1}}`` and ``{"a.b": 1}`` (templates ``dot_joining_pattern`` / ``dot_joining_event``);
   - an empty event array holds no value: ``exists: true`` fails and ``exists: false`` holds on it, and ``[null]``
     does not match it (templates ``exists_list_empty_NEG``, ``arrays_empty_null_NEG``);
   - a path running through an array of objects reaches into each element; a field the pattern names but an
     element lacks counts as absent for that element, so ``exists: false`` can hold in one element;
   - an absent parent object makes the leaf absent (``or-exists-parent``), an object is not a leaf
     (``exists_dynamodb_NEG``), a JSON string is not parsed as nested JSON (``nested_json_NEG``);
   - ``anything-but`` needs the field to be present but accepts ``null`` and values of another type;
   - ``anything-but`` lists may mix strings and numbers; prefix / suffix / equals-ignore-case / wildcard inside
     ``anything-but`` take a string or a list of strings; ``{"anything-but": {"prefix": {"equals-ignore-case": ..}}}``
     is refused;
   - the rules of ``numeric`` arrays (operator order, bottom below top) and their error wording;
   - a ``cidr`` whose host bits are set is accepted (as ``ipaddress.ip_network(strict=False)``);
   - ``$or`` is an alternative only when its value is a list of objects (a list of scalars makes ``$or`` an
     ordinary field name).

   Not settled by either source, so chosen here and worth checking against AWS: a ``$or`` with fewer than two
   objects is refused (LocalStack accepts it but then matches ``$or`` as a field name); a backslash in a wildcard
   may only escape ``*`` or ``\\``; ``numeric`` operands outside -5.0e9..+5.0e9 are refused (the documented range;
   LocalStack accepts them).

   Where the docs or the corpus decide, LocalStack is overruled: ``*`` matches zero characters too (LocalStack
   needs one), exact numbers compare by text (LocalStack by value).  And fields are matched *array-consistently*:
   when two fields of one rule sit under the same array of objects they must be satisfied by the same element, as
   AWS's event-ruler (``rulesForJSONEvent``) documents its array consistency (recalled, not re-read for this
   module); LocalStack lets each field pick its own element.

Numbers.  EventBridge compares exact-match numbers (and, by the same documented rule, ``anything-but`` numbers) by
their JSON text: ``300``, ``300.0`` and ``3.0e2`` are three different values.  ``numeric`` compares values.  So
JSON text is parsed with :func:`parse_json`, which keeps every number as a :class:`JsonNumber` (a ``Decimal`` that
remembers its text).  A plain ``Decimal`` is compared by ``str()`` (``300.0`` stays ``300.0``; ``3.0e2`` becomes
``3.0E+2``, still distinct), an ``int`` by ``str()``, a ``float`` by ``repr()``.  ``numeric`` compares exactly (as
``Decimal``); operands must lie within the documented -5.0e9..+5.0e9.

Wildcard complexity.  AWS refuses wildcard patterns that are "too complex" without publishing the measure.  This
module estimates it as the largest number of positions that the wildcard patterns of one field can have active at
once while reading some string (a subset simulation of their automata), and refuses more than
:data:`WILDCARD_COMPLEXITY_LIMIT`.  The limit is calibrated on known AWS answers (six ``*`` in one ARN pattern and
four ``*.ext`` patterns on one field are refused; the documented examples and ``/Users/*/dir/dir/dir/dir/dir/doc.txt``
are accepted; five ``*`` in one ARN pattern pass, as under LocalStack's rule of thumb); it is an estimate, not
AWS's algorithm.

Size.  TestEventPattern and PutRule take at most 4096 characters of pattern (the default quota is 2048, adjustable up
to 4096).  A string is measured as given; a dict as its compact JSON (``separators=(",", ":")``), the smallest text
that could be sent.  AWS reports this as a length constraint rather than InvalidEventPatternException.

Events.  TestEventPattern insists on ``id``, ``account``, ``source``, ``time``, ``region``, ``resources`` and
``detail-type``; this matcher does not, so documented partial events can be tested.  An event that is JSON but not
an object matches nothing.

>>> matches_event_pattern('{"detail": {"state": [{"anything-but": "init"}]}}', '{"detail": {"state": "running"}}')
True
>>> event_pattern_problems({"source": "aws.ec2"})
['"source" must be an object or an array (at source; put the value in a list, e.g. ["aws.ec2"])']
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "MAX_PATTERN_LENGTH",
    "MAX_RULE_COMBINATIONS",
    "WILDCARD_COMPLEXITY_LIMIT",
    "InvalidEventPattern",
    "JsonNumber",
    "event_pattern_problems",
    "matches_event_pattern",
    "parse_json",
]

MAX_PATTERN_LENGTH = 4096
"""TestEventPattern / PutRule: ``EventPattern`` length constraint (characters)."""

MAX_RULE_COMBINATIONS = 1000
"""A pattern whose ``$or`` alternatives expand to more rule combinations than this is refused."""

WILDCARD_COMPLEXITY_LIMIT = 11
"""Most wildcard-automaton positions one field may have active at once (an estimate; see the module docstring)."""

MAX_INPUT_PATHS = 100
"""PutTargets: an InputTransformer's ``InputPathsMap`` holds at most this many entries (EventBridge API reference)."""

NUMERIC_BOUND = Decimal("5.0E9")
"""``numeric`` operands must lie in -5.0e9..+5.0e9 (EventBridge user guide, numeric matching)."""

_PREFIX = "Event pattern is not valid. Reason: "
_NUMERIC_OPERATORS = ("=", "<", "<=", ">", ">=")
_ANYTHING_BUT_OPERATORS = ("prefix", "suffix", "equals-ignore-case", "wildcard")


class InvalidEventPattern(ValueError):  # noqa: N818 - the name is the public API
    """A pattern AWS would refuse, in AWS's words ("Event pattern is not valid. Reason: ...").

    ``problems`` holds every problem found, each with its path and what to change.

    >>> try:
    ...     matches_event_pattern({"detail": {"n": [{"numeric": [">", "5"]}]}}, {})
    ... except InvalidEventPattern as error:
    ...     print(error.problems[0])
    Value of > must be numeric (at detail.n[0].numeric[1]; write the bound as a JSON number, e.g. [">", 0])
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        message = _PREFIX + self.problems[0]
        if len(self.problems) > 1:
            message += f" (and {len(self.problems) - 1} more: " + "; ".join(self.problems[1:]) + ")"
        super().__init__(message)


class JsonNumber(Decimal):
    """A JSON number that keeps the text it was written with (``text``) next to its exact value.

    >>> n = JsonNumber("3.0e2")
    >>> n.text, n == 300
    ('3.0e2', True)
    """

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> JsonNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __repr__(self) -> str:
        return f"JsonNumber({self.text!r})"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(text: str | bytes) -> Any:
    """Parse JSON keeping every number's text (as :class:`JsonNumber`); the last of duplicate keys wins.

    >>> parse_json('{"limit": 300.0, "limit": 3.0e2}')
    {'limit': JsonNumber('3.0e2')}
    """
    return json.loads(text, parse_float=JsonNumber, parse_int=JsonNumber, parse_constant=_refuse_constant)


# --------------------------------------------------------------------------------------------------------------
# Values


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _number_text(value: Any) -> str:
    if isinstance(value, JsonNumber):
        return value.text
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _exact_key(value: Any) -> tuple[str, Any]:
    """What exact matching compares: the JSON type and, for numbers, the JSON text."""
    if value is None:
        return ("null", None)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, str):
        return ("string", value)
    if _is_number(value):
        return ("number", _number_text(value))
    return ("other", id(value))


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return None


# --------------------------------------------------------------------------------------------------------------
# Compiled pattern


class _Matcher:
    """One entry of a field's value list; a field matches when any of its matchers does."""

    def test(self, value: Any) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class _Exact(_Matcher):
    key: tuple[str, Any]

    def test(self, value: Any) -> bool:
        return _exact_key(value) == self.key


@dataclass(frozen=True)
class _StringTest(_Matcher):
    predicate: Callable[[str], bool]

    def test(self, value: Any) -> bool:
        return isinstance(value, str) and self.predicate(value)


@dataclass(frozen=True)
class _AnythingBut(_Matcher):
    excluded: frozenset[tuple[str, Any]] = frozenset()
    string_tests: tuple[Callable[[str], bool], ...] = ()

    def test(self, value: Any) -> bool:
        if _exact_key(value) in self.excluded:
            return False
        return not (isinstance(value, str) and any(test(value) for test in self.string_tests))


@dataclass(frozen=True)
class _Numeric(_Matcher):
    bounds: tuple[tuple[str, Decimal], ...]

    def test(self, value: Any) -> bool:
        if not _is_number(value):
            return False
        number = _decimal(value)
        if number is None or not number.is_finite():
            return False
        checks: dict[str, Callable[[Decimal, Decimal], bool]] = {
            "=": lambda a, b: a == b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
        }
        return all(checks[op](number, bound) for op, bound in self.bounds)


@dataclass(frozen=True)
class _Cidr(_Matcher):
    network: ipaddress.IPv4Network | ipaddress.IPv6Network

    def test(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return False
        return address.version == self.network.version and address in self.network


@dataclass(frozen=True)
class _Exists(_Matcher):
    wanted: bool

    def test(self, value: Any) -> bool:  # decided on the field, not on a value
        return self.wanted


@dataclass
class _And:
    """Fields (path -> matchers) that must all hold, plus ``$or`` groups of which one branch must hold."""

    fields: dict[str, list[_Matcher]] = field(default_factory=dict)
    alternatives: list[list[_And]] = field(default_factory=list)

    def combinations(self) -> int:
        total = 1
        for branches in self.alternatives:
            total *= sum(branch.combinations() for branch in branches)
        return total

    def paths(self) -> Iterator[str]:
        yield from self.fields
        for branches in self.alternatives:
            for branch in branches:
                yield from branch.paths()


# --------------------------------------------------------------------------------------------------------------
# Wildcards


_STAR = object()


def _wildcard_tokens(text: str) -> tuple[list[object], str | None]:
    """Split a wildcard operand into literal characters and ``_STAR``; the second item is a problem, if any."""
    tokens: list[object] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            if index + 1 >= len(text) or text[index + 1] not in "*\\":
                return tokens, f"Invalid escape character at pos {index + 1}"
            tokens.append(text[index + 1])
            index += 2
            continue
        if char == "*":
            if tokens and tokens[-1] is _STAR:
                return tokens, f"Consecutive wildcard characters at pos {index}"
            tokens.append(_STAR)
        else:
            tokens.append(char)
        index += 1
    return tokens, None


def _starts_with(wanted: str, *, ignore_case: bool) -> Callable[[str], bool]:
    if ignore_case:
        folded = wanted.lower()
        return lambda value: value.lower().startswith(folded)
    return lambda value: value.startswith(wanted)


def _ends_with(wanted: str, *, ignore_case: bool) -> Callable[[str], bool]:
    if ignore_case:
        folded = wanted.lower()
        return lambda value: value.lower().endswith(folded)
    return lambda value: value.endswith(wanted)


def _equals_ignore_case(wanted: str) -> Callable[[str], bool]:
    folded = wanted.lower()
    return lambda value: value.lower() == folded


def _glob(tokens: list[object], value: str) -> bool:
    """Whether ``value`` matches the wildcard ``tokens``: one pass that backs up only to the last star
    (at most len(tokens) x len(value) steps; a regular expression backtracks exponentially on ``*a*a*a*b``)."""
    token = position = 0
    star, resume = -1, 0
    while position < len(value):
        if token < len(tokens) and tokens[token] is _STAR:
            star, resume = token, position
            token += 1
        elif token < len(tokens) and tokens[token] == value[position]:
            token += 1
            position += 1
        elif star >= 0:
            token, resume = star + 1, resume + 1
            position = resume
        else:
            return False
    while token < len(tokens) and tokens[token] is _STAR:
        token += 1
    return token == len(tokens)


def _wildcard_test(tokens: list[object]) -> Callable[[str], bool]:
    return lambda value: _glob(tokens, value)


def _wildcard_complexity(patterns: list[list[object]], max_subsets: int = 4000) -> int:
    """Most automaton positions the patterns can have active at once while reading one string (an estimate)."""
    alphabet = {token for tokens in patterns for token in tokens if token is not _STAR}
    alphabet.add("\0other")

    def closure(states: Iterable[tuple[int, int]]) -> frozenset[tuple[int, int]]:
        result = set()
        for which, position in states:
            tokens = patterns[which]
            result.add((which, position))
            following = position
            while following < len(tokens) and tokens[following] is _STAR:
                following += 1
                result.add((which, following))
        return frozenset(result)

    start = closure((which, 0) for which in range(len(patterns)))
    seen = {start}
    pending = [start]
    worst = 0
    while pending and len(seen) < max_subsets:
        active = pending.pop()
        # Only the characters some active position expects move differently from any other character.
        expected = {
            patterns[which][position]
            for which, position in active
            if position < len(patterns[which]) and patterns[which][position] is not _STAR
        }
        for char in expected | {"\0other"}:
            moved = []
            for which, position in active:
                tokens = patterns[which]
                if position < len(tokens) and tokens[position] is _STAR:
                    moved.append((which, position))
                elif position < len(tokens) and tokens[position] == char:
                    moved.append((which, position + 1))
            if not moved:
                continue
            following = closure(moved)
            worst = max(worst, len(following))
            if following not in seen:
                seen.add(following)
                pending.append(following)
    return worst


# --------------------------------------------------------------------------------------------------------------
# Validation and compilation


def _show(path: list[str]) -> str:
    shown = ""
    for part in path:
        shown += part if part.startswith("[") or not shown else "." + part
    return shown or "(pattern)"


class _Compiler:
    """Walks a pattern once: records problems with their paths and builds the ``_And`` tree."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.wildcards: dict[str, list[list[object]]] = {}

    def problem(self, reason: str, path: list[str], fix: str) -> None:
        self.problems.append(f"{reason} (at {_show(path)}; {fix})")

    def compile_object(self, obj: dict[str, Any], field_path: str, path: list[str]) -> _And:
        node = _And()
        for key, value in obj.items():
            here = [*path, key]
            if key == "$or" and isinstance(value, list) and any(isinstance(item, dict) for item in value):
                node.alternatives.append(self.compile_or(value, field_path, here))
                continue
            full = f"{field_path}.{key}" if field_path else key
            if isinstance(value, dict):
                child = self.compile_object(value, full, here)
                for child_path, matchers in child.fields.items():
                    node.fields.setdefault(child_path, []).extend(matchers)
                node.alternatives.extend(child.alternatives)
            elif isinstance(value, list):
                if not value:
                    self.problem("Empty arrays are not allowed", here, "list at least one value to match")
                    continue
                compiled = [self.compile_value(item, full, [*here, f"[{index}]"]) for index, item in enumerate(value)]
                node.fields.setdefault(full, []).extend(m for m in compiled if m is not None)
            else:
                self.problem(
                    f'"{key}" must be an object or an array',
                    here,
                    f"put the value in a list, e.g. [{json.dumps(value, default=str)}]",
                )
        return node

    def compile_or(self, branches: list[Any], field_path: str, path: list[str]) -> list[_And]:
        compiled = []
        for index, branch in enumerate(branches):
            if isinstance(branch, dict):
                compiled.append(self.compile_object(branch, field_path, [*path, f"[{index}]"]))
            else:
                self.problem("$or elements must be objects", [*path, f"[{index}]"], "make each alternative an object")
        if len(branches) < 2:
            self.problem("$or must contain at least two objects", path, "list two or more alternatives, or drop $or")
        return compiled

    def compile_value(self, item: Any, full: str, path: list[str]) -> _Matcher | None:
        if item is None or isinstance(item, str | bool) or _is_number(item):
            return _Exact(_exact_key(item))
        if not isinstance(item, dict):
            self.problem(
                "Match value must be String, number, true, false, or null",
                path,
                'use a scalar or an operator object such as {"prefix": "x"}',
            )
            return None
        if len(item) != 1:
            self.problem(
                "Only one key allowed in match expression",
                path,
                "use one operator per object; list several objects to OR them",
            )
            return None
        ((operator, operand),) = item.items()
        here = [*path, operator]
        handlers: dict[str, Callable[[Any, str, list[str]], _Matcher | None]] = {
            "prefix": self.compile_prefix_suffix,
            "suffix": self.compile_prefix_suffix,
            "equals-ignore-case": self.compile_equals_ignore_case,
            "wildcard": self.compile_wildcard,
            "anything-but": self.compile_anything_but,
            "numeric": self.compile_numeric,
            "cidr": self.compile_cidr,
            "exists": self.compile_exists,
        }
        handler = handlers.get(operator)
        if handler is None:
            self.problem(
                f"Unrecognized match type {operator}",
                here,
                "operators are prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, cidr, exists "
                "(lower case)",
            )
            return None
        return handler(operand, full, here)

    def compile_prefix_suffix(self, operand: Any, full: str, path: list[str]) -> _Matcher | None:
        operator = path[-1]
        ignore_case = False
        if isinstance(operand, dict) and list(operand) == ["equals-ignore-case"]:
            operand, ignore_case = operand["equals-ignore-case"], True
            path = [*path, "equals-ignore-case"]
        elif isinstance(operand, dict):
            self.problem(
                f"Unsupported {operator} pattern: {', '.join(operand) or '{}'}",
                path,
                f'only {{"{operator}": {{"equals-ignore-case": "..."}}}} may nest',
            )
            return None
        if not isinstance(operand, str):
            self.problem(f"{operator} match pattern must be a string", path, f'write e.g. {{"{operator}": "abc"}}')
            return None
        if operator == "prefix":
            return _StringTest(_starts_with(operand, ignore_case=ignore_case))
        return _StringTest(_ends_with(operand, ignore_case=ignore_case))

    def compile_equals_ignore_case(self, operand: Any, full: str, path: list[str]) -> _Matcher | None:
        if not isinstance(operand, str):
            self.problem("equals-ignore-case match pattern must be a string", path, "give one string")
            return None
        return _StringTest(_equals_ignore_case(operand))

    def compile_wildcard(self, operand: Any, full: str, path: list[str]) -> _Matcher | None:
        test = self.wildcard_operand(operand, full, path)
        return None if test is None else _StringTest(test)

    def wildcard_operand(self, operand: Any, full: str, path: list[str]) -> Callable[[str], bool] | None:
        if not isinstance(operand, str):
            self.problem("wildcard match pattern must be a string", path, 'write e.g. {"wildcard": "*.png"}')
            return None
        tokens, reason = _wildcard_tokens(operand)
        if reason is not None:
            self.problem(reason, path, "use single '*' wildcards; escape a literal * as \\* and \\ as \\\\")
            return None
        self.wildcards.setdefault(full, []).append(tokens)
        return _wildcard_test(tokens)

    def compile_anything_but(self, operand: Any, full: str, path: list[str]) -> _Matcher | None:
        if isinstance(operand, str) or _is_number(operand):
            return _AnythingBut(excluded=frozenset({_exact_key(operand)}))
        if isinstance(operand, list):
            excluded = set()
            for index, value in enumerate(operand):
                if isinstance(value, str) or _is_number(value):
                    excluded.add(_exact_key(value))
                else:
                    self.problem(
                        "Inside anything but list, start|null|boolean is not supported.",
                        [*path, f"[{index}]"],
                        "list only strings and numbers",
                    )
            return _AnythingBut(excluded=frozenset(excluded))
        if isinstance(operand, dict):
            return self.compile_anything_but_operator(operand, full, path)
        self.problem(
            "Value of anything-but must be an array or single string/number value.",
            path,
            "exclude a string, a number, a list of them, or use prefix/suffix/equals-ignore-case/wildcard inside",
        )
        return None

    def compile_anything_but_operator(self, operand: dict[str, Any], full: str, path: list[str]) -> _Matcher | None:
        if len(operand) != 1:
            self.problem("Only one key allowed in match expression", path, "use one operator inside anything-but")
            return None
        ((inner, value),) = operand.items()
        here = [*path, inner]
        if inner not in _ANYTHING_BUT_OPERATORS:
            self.problem(
                f"Unsupported anything-but pattern: {inner}",
                here,
                "inside anything-but use prefix, suffix, equals-ignore-case or wildcard",
            )
            return None
        values = value if isinstance(value, list) else [value]
        if inner in ("prefix", "suffix") and isinstance(value, dict):
            self.problem(
                "Value of anything-but must be an array or single string/number value.",
                here,
                "anything-but cannot combine prefix/suffix with equals-ignore-case",
            )
            return None
        if not all(isinstance(item, str) for item in values):
            reasons = {
                "prefix": "prefix/suffix match pattern must be a string",
                "suffix": "prefix/suffix match pattern must be a string",
                "equals-ignore-case": "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
                "supported.",
                "wildcard": "wildcard match pattern must be a string",
            }
            self.problem(reasons[inner], here, "give a string or a list of strings")
            return None
        tests: list[Callable[[str], bool]] = []
        for index, text in enumerate(values):
            item_path = [*here, f"[{index}]"] if isinstance(value, list) else here
            if inner in ("prefix", "suffix") and text == "":
                self.problem("Null prefix/suffix not allowed", item_path, "give a non-empty string")
            elif inner == "prefix":
                tests.append(_starts_with(text, ignore_case=False))
            elif inner == "suffix":
                tests.append(_ends_with(text, ignore_case=False))
            elif inner == "equals-ignore-case":
                tests.append(_equals_ignore_case(text))
            else:
                test = self.wildcard_operand(text, full, item_path)
                if test is not None:
                    tests.append(test)
        return _AnythingBut(string_tests=tuple(tests))

    def compile_numeric(self, operand: Any, full: str, path: list[str]) -> _Matcher | None:
        fix = 'write e.g. [">", 0, "<=", 5] or ["=", 100]'
        if not isinstance(operand, list):
            self.problem("Value of numeric must be an array.", path, fix)
            return None
        if not operand:
            self.problem("Invalid member in numeric match: ]", path, fix)
            return None
        bounds: list[tuple[str, Decimal]] = []
        for index in range(0, len(operand), 2):
            operator, here = operand[index], [*path, f"[{index}]"]
            if index == 4:
                self.problem("Too many terms in numeric range expression", here, fix)
                return None
            if index == 2 and bounds[0][0] not in (">", ">="):
                self.problem("Too many elements in numeric expression", here, "only > or >= may start a range")
                return None
            if not isinstance(operator, str):
                reason = "Invalid member in numeric match" if index == 0 else "Bad value in numeric range"
                self.problem(f"{reason}: {json.dumps(operator, default=str)}", here, fix)
                return None
            allowed = _NUMERIC_OPERATORS if index == 0 else ("<", "<=")
            if operator not in allowed:
                reason = "Unrecognized numeric range operator" if index == 0 else "Bad numeric range operator"
                self.problem(f"{reason}: {operator}", here, f"use one of {', '.join(allowed)}")
                return None
            shown = "equals" if operator == "=" else operator
            value_path = [*path, f"[{index + 1}]"]
            value = operand[index + 1] if index + 1 < len(operand) else None
            number = _decimal(value) if _is_number(value) else None
            if number is None or not number.is_finite():
                self.problem(
                    f"Value of {shown} must be numeric",
                    value_path,
                    f'write the bound as a JSON number, e.g. ["{operator}", 0]',
                )
                return None
            if number.copy_abs() > NUMERIC_BOUND:  # copy_abs: no context, so 1e9999999 cannot overflow
                self.problem(
                    f"Value of {shown} must be between -5.0E9 and 5.0E9",
                    value_path,
                    "numeric matching supports -5.0e9 to +5.0e9",
                )
                return None
            if index == 2 and number <= bounds[0][1]:
                self.problem("Bottom must be less than top", value_path, "put the lower bound first")
                return None
            bounds.append((operator, number))
        return _Numeric(tuple(bounds))

    def compile_cidr(self, operand: Any, full: str, path: list[str]) -> _Matcher | None:
        if not isinstance(operand, str):
            # AWS words this as if cidr were a prefix match.
            self.problem("prefix match pattern must be a string", path, 'write e.g. {"cidr": "10.0.0.0/24"}')
            return None
        parts = operand.split("/")
        if len(parts) != 2:
            self.problem("Malformed CIDR, one '/' required", path, 'write e.g. "10.0.0.0/24" or "2001:db8::/32"')
            return None
        address, bits = parts
        if not bits.isdigit() or not bits.isascii():
            self.problem("Malformed CIDR, mask bits must be an integer", path, "put a prefix length after '/'")
            return None
        try:
            network = ipaddress.ip_network(operand, strict=False)
        except ValueError:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                self.problem(f"Nonstandard IP address: {address}", path, "give a dotted IPv4 or an IPv6 address")
            else:
                self.problem(
                    f"Malformed CIDR, mask bits out of range: {bits}",
                    path,
                    "use 0-32 for IPv4 and 0-128 for IPv6",
                )
            return None
        return _Cidr(network)

    def compile_exists(self, operand: Any, full: str, path: list[str]) -> _Matcher | None:
        if not isinstance(operand, bool):
            self.problem("exists match pattern must be either true or false.", path, 'write {"exists": true}')
            return None
        return _Exists(operand)

    def check_limits(self, tree: _And) -> None:
        combinations = tree.combinations()
        if combinations > MAX_RULE_COMBINATIONS:
            self.problem(
                f"The pattern's $or expands to {combinations} rule combinations, more than {MAX_RULE_COMBINATIONS}",
                [],
                "split the rule or move shared fields out of $or",
            )
        for full, patterns in self.wildcards.items():
            if _wildcard_complexity(patterns) > WILDCARD_COMPLEXITY_LIMIT:
                self.problem(
                    "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
                    "sequences after a wildcard character",
                    full.split("."),
                    "use fewer wildcards on this field, or split it across rules",
                )


@dataclass
class _Compiled:
    tree: _And
    problems: list[str]


def _compile(pattern: str | dict[str, Any]) -> _Compiled:
    problems: list[str] = []
    if isinstance(pattern, str | bytes):
        text = pattern.decode() if isinstance(pattern, bytes) else pattern
        if len(text) > MAX_PATTERN_LENGTH:
            problems.append(
                f"EventPattern is {len(text)} characters, over the maximum length of {MAX_PATTERN_LENGTH} "
                "(at (pattern); shorten it, e.g. with prefix/wildcard operators or by splitting the rule)"
            )
        try:
            parsed = parse_json(text)
        except ValueError as error:
            return _Compiled(_And(), [*problems, f"{error} (at (pattern); send well-formed JSON)"])
        except RecursionError:
            return _Compiled(_And(), [*problems, "Pattern is nested too deeply (at (pattern); flatten it)"])
    else:
        parsed = pattern
    if not isinstance(parsed, dict):
        return _Compiled(_And(), [*problems, "Filter is not an object (at (pattern); a pattern is a JSON object)"])
    if not isinstance(pattern, str | bytes):
        try:
            size = len(json.dumps(parsed, separators=(",", ":"), ensure_ascii=False, default=_number_text))
        except (TypeError, ValueError):
            size = 0
        if size > MAX_PATTERN_LENGTH:
            problems.append(
                f"EventPattern is {size} characters as compact JSON, over the maximum length of {MAX_PATTERN_LENGTH} "
                "(at (pattern); shorten it, e.g. with prefix/wildcard operators or by splitting the rule)"
            )
    compiler = _Compiler()
    try:
        tree = compiler.compile_object(parsed, "", [])
    except RecursionError:
        return _Compiled(_And(), [*problems, "Pattern is nested too deeply (at (pattern); flatten it)"])
    if not compiler.problems:
        compiler.check_limits(tree)
    return _Compiled(tree, problems + compiler.problems)


def event_pattern_problems(pattern: str | dict[str, Any]) -> list[str]:
    """Why AWS's PutRule / TestEventPattern would refuse ``pattern``; empty when it would accept it.

    >>> event_pattern_problems({"detail": {"state": [{"prefix": "run"}]}})
    []
    >>> print(*event_pattern_problems('{"detail": {"FileName": [{"wildcard": "dir/**.png"}]}}'))  # doctest: +ELLIPSIS
    Consecutive wildcard characters at pos 5 (at detail.FileName[0].wildcard; use single '*' wildcards; ...)
    """
    return _compile(pattern).problems


# --------------------------------------------------------------------------------------------------------------
# Matching

Record = dict[str, list[Any]]
#: Beyond this many consistent choices of array elements, fields are matched each on its own (see _records).
MAX_ELEMENT_COMBINATIONS = 10_000


class _TooManyCombinationsError(Exception):
    pass


def _merge(left: list[Record], right: list[Record]) -> list[Record]:
    if len(left) * len(right) > MAX_ELEMENT_COMBINATIONS:
        raise _TooManyCombinationsError
    merged = []
    for a in left:
        for b in right:
            record = {key: list(values) for key, values in a.items()}
            for key, values in b.items():
                record.setdefault(key, []).extend(values)
            merged.append(record)
    return merged


def _records(value: Any, path: str, wanted: frozenset[str]) -> list[Record]:
    """The event seen along the pattern's paths: one record (path -> leaf values) per consistent choice of array
    elements.  Scalars of an array share a record; objects in an array each open their own."""
    if isinstance(value, dict):
        records: list[Record] = [{}]
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else str(key)
            if child_path in wanted:
                records = _merge(records, _records(child, child_path, wanted))
        return records
    if isinstance(value, list | tuple):
        scalars: Record = {}
        branches: list[Record] = []
        for element in value:
            if isinstance(element, dict | list | tuple):
                branches.extend(_records(element, path, wanted))
            else:
                scalars.setdefault(path, []).append(element)
        return _merge([scalars], branches) if branches else [scalars]
    return [{path: [value]}]


def _holds(node: _And, record: Record) -> bool:
    for path, matchers in node.fields.items():
        values = record.get(path, [])
        if not any(
            matcher.wanted == bool(values) if isinstance(matcher, _Exists) else any(map(matcher.test, values))
            for matcher in matchers
        ):
            return False
    return all(any(_holds(branch, record) for branch in branches) for branches in node.alternatives)


def matches_event_pattern(pattern: str | dict[str, Any], event: str | dict[str, Any]) -> bool:
    """Whether ``event`` matches ``pattern``, as TestEventPattern answers; raises :class:`InvalidEventPattern`.

    JSON text (pattern or event) is parsed with :func:`parse_json`, so numbers keep their spelling.

    >>> matches_event_pattern({"detail": {"limit": [300]}}, '{"detail": {"limit": 300.0}}')
    False
    >>> matches_event_pattern({"detail": {"limit": [{"numeric": ["=", 300]}]}}, '{"detail": {"limit": 300.0}}')
    True
    >>> matches_event_pattern({"resources": ["arn:b"]}, {"resources": ["arn:a", "arn:b"]})
    True
    """
    compiled = _compile(pattern)
    if compiled.problems:
        raise InvalidEventPattern(compiled.problems)
    if isinstance(event, str | bytes):
        try:
            event = parse_json(event)
        except ValueError as error:
            raise ValueError(f"Parameter Event is not valid. ({error})") from error
        except RecursionError:
            raise ValueError("Parameter Event is not valid. (it is nested too deeply)") from None
    if not isinstance(event, dict):
        return False
    wanted: set[str] = set()
    for path in compiled.tree.paths():
        parts = path.split(".")
        wanted.update(".".join(parts[: index + 1]) for index in range(len(parts)))
    try:
        records = _records(event, "", frozenset(wanted))
    except _TooManyCombinationsError:  # arrays of many objects: each field on its own (no element consistency)
        records = [_flat_record(event, "", frozenset(wanted))]
    except RecursionError:
        raise ValueError("Parameter Event is not valid. (it is nested too deeply)") from None
    return any(_holds(compiled.tree, record) for record in records)


def _flat_record(value: Any, path: str, wanted: frozenset[str]) -> Record:
    """Every leaf value along the pattern's paths, whichever array element it is in."""
    record: Record = {}
    pending = [(value, path)]
    while pending:
        current, where = pending.pop()
        if isinstance(current, dict):
            for key, child in current.items():
                child_path = f"{where}.{key}" if where else str(key)
                if child_path in wanted:
                    pending.append((child, child_path))
        elif isinstance(current, list | tuple):
            pending.extend((element, where) for element in current)
        else:
            record.setdefault(where, []).append(current)
    return record
