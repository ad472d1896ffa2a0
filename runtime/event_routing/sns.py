"""Amazon SNS subscription filter policies, checked and matched as SNS does, in plain Python.

Two halves, in this order in the file:

1. **The validator** (:func:`filter_policy_problems`) walks a policy the way ``Subscribe`` /
   ``SetSubscriptionAttributes`` would and returns every problem it finds, each with the JSON path it
   sits at, the reason SNS gives (``Invalid parameter: FilterPolicy: <reason>``) and what to change.
2. **The matcher** (:func:`matches_filter_policy`) flattens the policy into AND-ed conditions per key,
   expands ``$or`` into alternative branches, and tests the message attributes (``MessageAttributes``
   scope) or the JSON body (``MessageBody`` scope) against them.

>>> policy = {"store": ["example_corp"], "price_usd": [{"numeric": [">=", 100]}]}
>>> filter_policy_problems(policy)
[]
>>> matches_filter_policy(policy, message_attributes={
...     "store": {"DataType": "String", "StringValue": "example_corp"},
...     "price_usd": {"DataType": "Number", "StringValue": "210.75"}})
True
>>> matches_filter_policy(policy, scope="MessageBody", body='{"store": "example_corp", "price_usd": 99.5}')
False

Where the behaviour comes from
------------------------------
From the AWS SNS Developer Guide (message filtering, filter policy scope, string/numeric value matching,
key matching, AND/OR logic, filter policy constraints):

* exact, ``anything-but`` (one value, a list, or ``prefix`` / ``suffix`` / ``wildcard`` inside),
  ``equals-ignore-case``, ``prefix``, ``suffix``, ``wildcard``, ``cidr``, ``numeric`` (``=`` and ranges),
  ``exists``; values of one key are OR-ed, keys are AND-ed, ``$or`` is recognised only when its value is an
  array of at least two objects none of which uses an operator name as a key (otherwise ``"$or"`` is an
  ordinary key);
* a String.Array attribute or a JSON array in the body matches when *any* element matches - for
  ``anything-but`` too, as the guide's own examples show (``["rugby", "baseball"]`` passes
  ``anything-but ["rugby", "tennis"]``), though one sentence of the guide says "none of the elements";
* ``"exists": true`` needs a non-null, non-empty value; ``"exists": false`` never matches a message
  that has no attributes at all (MessageAttributes scope);
* numbers compare as numbers (``3.015e2`` equals ``301.5``) with five digits after the decimal point;
  numeric operands must lie within -10^9..10^9;
* at most 5 keys (MessageAttributes: every key; MessageBody: only top-level keys), at most 150
  combinations (the product of the array sizes, each multiplied by its nesting depth in a body policy,
  ``$or`` branches summed), at most 256 KB of policy, nested policies only in MessageBody scope;
* in MessageBody scope a body that is not a JSON object matches nothing (filtering on the payload
  assumes a well-formed JSON object).

From a second opinion, where the guide is silent: localstack-core's SNS filter (``FilterPolicyValidator``,
``SubscriptionFilter``), whose tests are recorded against AWS (the error texts below come from those
recordings):

* the error texts and which one a given mistake gets (``Unrecognized match type``, ``Only one key allowed
  in match expression``, ``Value of > must be numeric``, ``Bottom must be less than top``, ``Malformed
  CIDR, one '/' required``, ...); ``cidr`` with a non-string answers the ``prefix`` text, as AWS does;
* dotted keys in a body policy: ``{"a.b": [...]}`` matches ``{"a": {"b": ...}}`` and ``{"a.b": ...}``
  alike (policy and body are both flattened to dotted paths);
* arrays in the body, however nested (arrays of objects, arrays of arrays), contribute every leaf
  to their path; a key's values may come from different array elements;
* ``$or`` works in MessageBody scope too, also inside nested objects;
* ``anything-but`` lists may hold ``true``/``false``/``null``, and plain numeric match values outside
  -10^9..10^9 are accepted (only ``numeric`` operands are range-checked);
* an empty ``{}`` body object with ``"exists": false`` matches (the no-attributes rule is about attributes).

Own choices, where neither says: texts for errors nobody has recorded (size, range, JSON syntax) are
worded here; ``null`` / ``""`` count as absent for ``exists`` both ways; the five-key limit is applied to
each ``$or`` branch after expansion; a ``cidr`` whose address has host bits set (``10.0.0.1/24``) is
accepted as its network; String attributes only meet string operators and Number attributes only numeric
ones (a plain ``100`` matches Number ``"100"``, not String ``"100"``); Binary attributes are ignored.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from typing import Any, Literal

__all__ = ["InvalidFilterPolicy", "Scope", "filter_policy_problems", "matches_filter_policy"]

Scope = Literal["MessageAttributes", "MessageBody"]

SCOPES: tuple[Scope, ...] = ("MessageAttributes", "MessageBody")
MAX_KEYS = 5
MAX_COMBINATIONS = 150
MAX_POLICY_BYTES = 256 * 1024
NUMERIC_LIMIT = Decimal(1_000_000_000)
STRING_OPERATORS = ("prefix", "suffix", "equals-ignore-case", "wildcard")
OPERATORS = frozenset({*STRING_OPERATORS, "anything-but", "numeric", "exists", "cidr"})
ANYTHING_BUT_PATTERNS = ("prefix", "suffix", "wildcard")
LOWER_BOUNDS = (">", ">=")
UPPER_BOUNDS = ("<", "<=")
NUMERIC_OPERATORS = ("=", *LOWER_BOUNDS, *UPPER_BOUNDS)
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
_FIVE_PLACES = Decimal("0.00001")


# --------------------------------------------------------------------------------------------------
# Problems and the exception
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One reason SNS would refuse a policy: where it is, what SNS says, and what to change."""

    path: str
    reason: str  # the text after "InvalidParameter: Invalid parameter: "
    fix: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason} (fix: {self.fix})"


class InvalidFilterPolicy(ValueError):  # noqa: N818 - the name the project asked for
    """The policy SNS would refuse, with what SNS would answer and what to change.

    >>> try:
    ...     matches_filter_policy({"price": [{"numeric": [">", 3, "<", 1]}]})
    ... except InvalidFilterPolicy as error:
    ...     print(error)
    InvalidParameter: Invalid parameter: FilterPolicy: Bottom must be less than top
      at $.price[0].numeric: make the lower bound smaller than the upper bound, e.g. [">", 1, "<", 3]
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = [str(problem) for problem in problems]
        first = problems[0]
        self.aws_message = f"InvalidParameter: Invalid parameter: {first.reason}"
        text = f"{self.aws_message}\n  at {first.path}: {first.fix}"
        if len(problems) > 1:
            text += f"\n  (and {len(problems) - 1} more problem(s): see .problems)"
        super().__init__(text)


# --------------------------------------------------------------------------------------------------
# Reading the policy
# --------------------------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if _PLAIN_KEY.fullmatch(key) else f"{path}[{json.dumps(key)}]"


def _show(value: Any) -> str:
    """A policy value as AWS prints it in its messages (JSON text, strings unquoted)."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _normalise(value: Any) -> Any:
    """A dict-given policy in the shape JSON text gives: floats become exact decimals."""
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else value
    if isinstance(value, dict):
        return {key: _normalise(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(item) for item in value]
    return value


def _policy_size(policy: dict[str, Any]) -> int:
    return len(json.dumps(policy, separators=(",", ":"), default=str, ensure_ascii=False).encode())


def _read_policy(policy: str | dict[str, Any]) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The policy as a dict (``None`` when there is none to check) and the problems found reading it."""
    if isinstance(policy, str):
        if not policy.strip():
            return {}, []  # an empty FilterPolicy removes the filter: everything is delivered
        size = len(policy.encode("utf-8", errors="replace"))
        try:
            parsed = json.loads(policy, parse_float=Decimal, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as error:
            reason = f"FilterPolicy: failed to parse JSON: {error}"
            return None, [Problem("$", reason, "pass the policy as one valid JSON object (UTF-8 text)")]
    elif isinstance(policy, dict):
        try:
            parsed = _normalise(policy)
            size = _policy_size(parsed)
        except (RecursionError, ValueError) as error:
            return None, [Problem("$", f"FilterPolicy: cannot read the policy: {error}", "pass a JSON-like dict")]
    else:
        reason = f"FilterPolicy: expected JSON text or a dict, got {type(policy).__name__}"
        return None, [Problem("$", reason, "pass the policy as JSON text or a dict")]
    if not isinstance(parsed, dict):
        reason = "FilterPolicy: Filter policy must be a JSON object"
        return None, [Problem("$", reason, 'wrap the conditions in an object, e.g. {"key": ["value"]}')]
    problems: list[Problem] = []
    if size > MAX_POLICY_BYTES:
        reason = f"FilterPolicy: Filter policy is too large ({size} bytes; the maximum is {MAX_POLICY_BYTES})"
        problems.append(Problem("$", reason, "shrink the policy below 256 KB, e.g. by splitting the subscription"))
    return parsed, problems


# --------------------------------------------------------------------------------------------------
# The validator
# --------------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, Decimal | float):
        return math.isfinite(value)
    return False


def _is_or(key: str, value: Any) -> bool:
    """Whether ``"$or": value`` is an OR (the guide's three conditions) rather than an ordinary key."""
    return (
        key == "$or"
        and isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(branch, dict) for branch in value)
        and not any(OPERATORS.intersection(branch) for branch in value)
    )


class _Validator:
    """Walks a parsed policy once, collecting problems; then counts keys and combinations."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.problems: list[Problem] = []

    def add(self, path: str, reason: str, fix: str) -> None:
        self.problems.append(Problem(path, f"FilterPolicy: {reason}", fix))

    # -- structure --------------------------------------------------------------------------------

    def check_object(self, obj: dict[str, Any], path: str, depth: int) -> None:
        for key, value in obj.items():
            here = _child(path, key)
            if _is_or(key, value):
                for index, branch in enumerate(value):
                    self.check_object(branch, f"{here}[{index}]", depth)
            elif isinstance(value, dict):
                if self.scope == "MessageAttributes" and depth == 1:  # said once, at the top-level key
                    self.problems.append(
                        Problem(
                            here,
                            "Filter policy scope MessageAttributes does not support nested filter policy",
                            "flatten the policy to attribute names, or set FilterPolicyScope to MessageBody",
                        )
                    )
                self.check_object(value, here, depth + 1)
            elif isinstance(value, list):
                self.check_values(value, here)
            else:
                self.add(
                    here, f'"{key}" must be an object or an array', f'put the value in an array: ["{_show(value)}"]'
                )

    def check_values(self, values: list[Any], path: str) -> None:
        if not values:
            self.add(path, "Empty arrays are not allowed", "list at least one value, or remove the key")
        for index, value in enumerate(values):
            here = f"{path}[{index}]"
            if isinstance(value, dict):
                self.check_operator(value, here)
            elif not (value is None or isinstance(value, str | bool) or _is_number(value)):
                self.add(
                    here,
                    "Match value must be String, number, true, false, or null",
                    'use a string, a number, true, false, null or an operator object such as {"prefix": "x"}',
                )

    def check_operator(self, pattern: dict[str, Any], path: str) -> None:
        if len(pattern) != 1:
            self.add(path, "Only one key allowed in match expression", "split it into one object per operator")
            return
        ((operator, operand),) = pattern.items()
        here = _child(path, operator)
        if operator in STRING_OPERATORS:
            if not isinstance(operand, str):
                self.add(here, f"{operator} match pattern must be a string", f'write {{"{operator}": "text"}}')
        elif operator == "cidr":
            self.check_cidr(operand, here)
        elif operator == "exists":
            if not isinstance(operand, bool):
                self.add(here, "exists match pattern must be either true or false.", 'write {"exists": true}')
        elif operator == "numeric":
            self.check_numeric(operand, here)
        elif operator == "anything-but":
            self.check_anything_but(operand, here)
        else:
            known = ", ".join(sorted(OPERATORS))
            self.add(here, f"Unrecognized match type {operator}", f"use one of: {known}")

    def check_anything_but(self, operand: Any, path: str) -> None:
        if isinstance(operand, dict):
            if len(operand) != 1:
                self.add(path, "Only one key allowed in match expression", "use one of prefix, suffix, wildcard")
                return
            ((inner, text),) = operand.items()
            if inner not in ANYTHING_BUT_PATTERNS:
                self.add(
                    path,
                    f"Unsupported anything-but pattern: {inner}",
                    'inside anything-but use prefix, suffix or wildcard; for "exists" list {"exists": false} '
                    "as a separate value next to the anything-but",
                )
            elif not isinstance(text, str):
                self.add(_child(path, inner), f"{inner} match pattern must be a string", f'write {{"{inner}": "text"}}')
        elif isinstance(operand, list):
            if not operand:
                self.add(path, "Empty arrays are not allowed", "list at least one value to exclude")
            for index, item in enumerate(operand):
                if not (item is None or isinstance(item, str | bool) or _is_number(item)):
                    self.add(
                        f"{path}[{index}]",
                        "Match value must be String, number, true, false, or null",
                        "exclude plain strings or numbers only",
                    )
        elif not (operand is None or isinstance(operand, str | bool) or _is_number(operand)):
            self.add(path, "Match value must be String, number, true, false, or null", "exclude a string or a number")

    def check_cidr(self, operand: Any, path: str) -> None:
        if not isinstance(operand, str):
            self.add(path, "prefix match pattern must be a string", 'write {"cidr": "10.0.0.0/24"}')
            return
        parts = operand.split("/")
        if len(parts) != 2:
            self.add(path, "Malformed CIDR, one '/' required", 'write address/bits, e.g. "10.0.0.0/24"')
            return
        address, bits = parts
        if not bits.isascii() or not bits.isdigit():
            self.add(path, "Malformed CIDR, mask bits must be an integer", 'write address/bits, e.g. "10.0.0.0/24"')
            return
        try:
            ipaddress.ip_network(operand, strict=False)
        except ValueError:
            self.add(path, f"Nonstandard IP address: {address}", "use a dotted IPv4 or a standard IPv6 address")

    def check_numeric(self, operand: Any, path: str) -> None:
        fix = 'write ["=", 5], [">", 0], or a range [">", 0, "<=", 100]'
        if not isinstance(operand, list):
            self.add(path, "Value of numeric must be an array.", fix)
            return
        if not operand:
            self.add(path, "Invalid member in numeric match: ]", fix)
            return
        first = operand[0]
        if not isinstance(first, str):
            self.add(path, f"Invalid member in numeric match: {_show(first)}", "start with an operator: " + fix)
            return
        if first not in NUMERIC_OPERATORS:
            self.add(path, f"Unrecognized numeric range operator: {first}", "use one of = < <= > >=")
            return
        if not self.check_bound(first, operand[1] if len(operand) > 1 else None, path):
            return
        if len(operand) == 2:
            return
        if first not in LOWER_BOUNDS:
            self.add(
                path, "Too many elements in numeric expression", 'a range starts with > or >=, e.g. [">", 10, "<", 100]'
            )
            return
        second = operand[2]
        if not isinstance(second, str):
            self.add(
                path,
                f"Bad value in numeric range: {_show(second)}",
                'give the upper bound an operator: [">", 10, "<", 100]',
            )
            return
        if second not in UPPER_BOUNDS:
            self.add(path, f"Bad numeric range operator: {second}", "the second operator of a range must be < or <=")
            return
        if not self.check_bound(second, operand[3] if len(operand) > 3 else None, path):
            return
        if Decimal(operand[3]) <= Decimal(operand[1]):
            self.add(
                path,
                "Bottom must be less than top",
                f'make the lower bound smaller than the upper bound, e.g. ["{first}", 1, "{second}", 3]',
            )
        elif len(operand) > 4:
            self.add(
                path, "Too many terms in numeric range expression", "a range has exactly one lower and one upper bound"
            )

    def check_bound(self, operator: str, value: Any, path: str) -> bool:
        name = "equals" if operator == "=" else operator
        if not _is_number(value):
            self.add(
                path, f"Value of {name} must be numeric", f'follow "{operator}" with a number, e.g. ["{operator}", 100]'
            )
            return False
        if Decimal(value).copy_abs() > NUMERIC_LIMIT:
            self.add(
                path,
                f"Value of {name} must be between -1000000000 and 1000000000 (got {_show(value)})",
                "numeric matching covers -10^9..10^9; use a bound inside that range",
            )
            return False
        return True

    # -- limits -----------------------------------------------------------------------------------

    def combinations(self, obj: dict[str, Any], depth: int = 1) -> int:
        """Product over keys of (values x nesting depth); an ``$or`` adds up its branches."""
        total = 1
        for key, value in obj.items():
            if _is_or(key, value):
                total *= sum(self.combinations(branch, depth) for branch in value)
            elif isinstance(value, dict):
                total *= self.combinations(value, depth + 1)
            elif isinstance(value, list):
                total *= max(len(value), 1) * depth
        return total

    def most_keys(self, obj: dict[str, Any]) -> int:
        """The largest key count of any ``$or`` alternative (attributes: all keys; body: top-level keys)."""
        depth = None if self.scope == "MessageAttributes" else 1
        return max((len({path[:depth] for path, _ in branch}) for branch in _expand(obj, ())), default=0)

    def check_limits(self, policy: dict[str, Any]) -> None:
        combinations = self.combinations(policy)
        # Each $or alternative adds at least 1 to the combinations, so within the limit there are at most
        # 150 alternatives to count keys in; past it, expanding could explode, and the policy is refused anyway.
        keys = self.most_keys(policy) if combinations <= MAX_COMBINATIONS else 0
        if keys > MAX_KEYS:
            counted = "top-level keys" if self.scope == "MessageBody" else "keys"
            self.add("$", "Filter policy can not have more than 5 keys", f"use at most 5 {counted} (this has {keys})")
        if combinations > MAX_COMBINATIONS:
            self.add(
                "$",
                "Filter policy is too complex",
                f"the values combine to {combinations} (maximum 150): list fewer values, nest less, "
                "or split the policy over subscriptions",
            )


def _problems(policy: str | dict[str, Any], scope: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    if scope not in SCOPES:
        reason = f"FilterPolicyScope: Invalid value [{scope}]. Please use either MessageBody or MessageAttributes"
        return None, [Problem("FilterPolicyScope", reason, "use MessageAttributes or MessageBody")]
    parsed, problems = _read_policy(policy)
    if parsed is None:
        return None, problems
    validator = _Validator(scope)  # checked against SCOPES above
    try:
        validator.check_object(parsed, "$", 1)
        if not validator.problems:
            validator.check_limits(parsed)
    except RecursionError:
        validator.add("$", "Filter policy nests too deeply to check", "nest fewer levels")
    return parsed, problems + validator.problems


def filter_policy_problems(policy: str | dict[str, Any], scope: Scope = "MessageAttributes") -> list[str]:
    """Why SNS's Subscribe / SetSubscriptionAttributes would refuse ``policy`` (empty when it would accept it).

    Each problem reads ``<JSON path>: <what SNS says after "Invalid parameter: "> (fix: <what to change>)``.
    JSON text is parsed with exact decimals; an empty text means "no filter policy" and is accepted.

    >>> filter_policy_problems('{"customer_interests": ["rugby", {"prefix": "bas"}]}')
    []
    >>> (problem,) = filter_policy_problems({"price": [{"numeric": ["<", 100, ">", 10]}]})
    >>> print(problem.replace(" (fix: ", "\\n(fix: "))
    $.price[0].numeric: FilterPolicy: Too many elements in numeric expression
    (fix: a range starts with > or >=, e.g. [">", 10, "<", 100])
    >>> filter_policy_problems({"finding": {"account": ["1"]}})[0].split(" (fix")[0]
    '$.finding: Filter policy scope MessageAttributes does not support nested filter policy'
    >>> filter_policy_problems({"finding": {"account": ["1"]}}, scope="MessageBody")
    []
    """
    return [str(problem) for problem in _problems(policy, scope)[1]]


# --------------------------------------------------------------------------------------------------
# The matcher
# --------------------------------------------------------------------------------------------------

Path = tuple[str, ...]
Branch = list[tuple[Path, list[Any]]]


def _expand(obj: dict[str, Any], prefix: Path) -> Iterator[Branch]:
    """Every ``$or`` alternative of a (valid) policy object as a list of (key path, match values)."""
    branches: list[Branch] = [[]]
    for key, value in obj.items():
        if _is_or(key, value):
            options = [branch for sub in value for branch in _expand(sub, prefix)]
        elif isinstance(value, dict):
            options = list(_expand(value, (*prefix, key)))
        else:
            options = [[((*prefix, key), value if isinstance(value, list) else [value])]]
        branches = [[*done, *option] for done in branches for option in options]
    yield from branches


def _number(value: Any) -> Decimal | None:
    """A finite number as an exact Decimal, or ``None`` for anything else (booleans included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    return None


def _five_places(number: Decimal) -> Decimal:
    """SNS compares numbers to five digits after the decimal point."""
    if number.copy_abs() >= 10**15:  # copy_abs: no context, so 1e9999999 cannot overflow
        return number
    with localcontext() as context:
        context.prec = 40
        return number.quantize(_FIVE_PLACES, rounding=ROUND_HALF_EVEN)


def _same(expected: Any, value: Any) -> bool:
    """Exact matching: strings to strings, numbers to numbers (as numbers), true/false/null to themselves."""
    if isinstance(expected, str) or isinstance(value, str):
        return isinstance(expected, str) and isinstance(value, str) and expected == value
    if isinstance(expected, bool) or isinstance(value, bool) or expected is None or value is None:
        return type(expected) is type(value) and expected == value
    left, right = _number(expected), _number(value)
    return left is not None and right is not None and _five_places(left) == _five_places(right)


def _wildcard(pattern: str, text: str) -> bool:
    """``*`` matches any run of characters; ``\\*`` is a literal star."""
    pieces = [piece.replace("\\*", "*") for piece in re.split(r"(?<!\\)\*", pattern)]
    if len(pieces) == 1:
        return text == pieces[0]
    first, *middle, last = pieces
    if not text.startswith(first) or len(text) < len(first) + len(last) or not text.endswith(last):
        return False
    position, end = len(first), len(text) - len(last)
    for piece in middle:
        found = text.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _in_cidr(cidr: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def _numeric(bounds: list[Any], value: Any) -> bool:
    number = _number(value)
    if number is None:
        return False
    number = _five_places(number)
    for operator, bound in zip(bounds[::2], bounds[1::2], strict=False):
        limit = _five_places(Decimal(bound))
        ok = {
            "=": number == limit,
            "<": number < limit,
            "<=": number <= limit,
            ">": number > limit,
            ">=": number >= limit,
        }[operator]
        if not ok:
            return False
    return True


def _string_pattern(operator: str, operand: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if operator == "prefix":
        return value.startswith(operand)
    if operator == "suffix":
        return value.endswith(operand)
    if operator == "equals-ignore-case":
        return value.lower() == operand.lower()
    return _wildcard(operand, value)


def _anything_but(operand: Any, value: Any) -> bool:
    if value is None:
        return False
    if isinstance(operand, dict):
        ((operator, text),) = operand.items()
        return isinstance(value, str) and not _string_pattern(operator, text, value)
    excluded = operand if isinstance(operand, list) else [operand]
    return not any(_same(item, value) for item in excluded)


def _present(values: list[Any]) -> bool:
    return any(value is not None and value != "" for value in values)


def _condition_holds(condition: Any, values: list[Any], any_attributes: bool) -> bool:
    """One entry of a key's value array against the values the message has at that key."""
    if not isinstance(condition, dict):
        return any(_same(condition, value) for value in values)
    ((operator, operand),) = condition.items()
    if operator == "exists":
        return _present(values) if operand else (any_attributes and not _present(values))
    if operator == "anything-but":
        return any(_anything_but(operand, value) for value in values)
    if operator == "numeric":
        return any(_numeric(operand, value) for value in values)
    if operator == "cidr":
        return any(_in_cidr(operand, value) for value in values)
    return any(_string_pattern(operator, operand, value) for value in values)


def _attribute_values(attribute: Any) -> list[Any] | None:
    """The values of one message attribute (Publish or notification shape); ``None`` when it is ignored."""
    if not isinstance(attribute, dict):
        return None
    data_type = attribute.get("DataType", attribute.get("Type"))
    text = attribute.get("StringValue", attribute.get("Value"))
    if not isinstance(data_type, str) or not isinstance(text, str):
        return None
    base = data_type.split(".", 1)[0]
    if data_type == "String.Array":
        try:
            items = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            return []
        items = items if isinstance(items, list) else [items]
        return [item for item in items if not isinstance(item, list | dict)]
    if base == "String":
        return [text]
    if base == "Number":
        if _NUMBER_TEXT.fullmatch(text.strip()):
            try:
                return [Decimal(text.strip())]
            except InvalidOperation:
                return [text]
        return [text]
    return None  # Binary (and anything unknown) is ignored by filtering


def _body_values(body: dict[str, Any]) -> dict[str, list[Any]]:
    """Every leaf of a JSON body under its dotted path; array elements (at any depth) share the array's path."""
    leaves: dict[str, list[Any]] = {}
    stack: list[tuple[str | None, Any]] = [(None, body)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                stack.append((key if path is None else f"{path}.{key}", item))
        elif isinstance(node, list):
            stack.extend((path, item) for item in node)
        elif path is not None:
            leaves.setdefault(path, []).append(node)
    return leaves


def _read_body(body: Any) -> dict[str, Any] | None:
    if isinstance(body, dict):
        return body
    if not isinstance(body, str | bytes):
        return None
    try:
        parsed = json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) else None


def matches_filter_policy(
    policy: str | dict[str, Any],
    *,
    scope: Scope = "MessageAttributes",
    message_attributes: dict[str, dict[str, str]] | None = None,
    body: str = "",
) -> bool:
    """Whether SNS delivers a message to a subscription with this filter policy.

    ``message_attributes`` take Publish's shape ``{"name": {"DataType": ..., "StringValue": ...}}`` or the
    notification's ``{"name": {"Type": ..., "Value": ...}}``; ``body`` is the message text (MessageBody
    scope: it must be a JSON object to match anything). Raises :class:`InvalidFilterPolicy` when SNS
    would refuse the policy.

    >>> matches_filter_policy({"interests": [{"anything-but": ["rugby"]}]},
    ...     message_attributes={"interests": {"Type": "String.Array", "Value": '["rugby", "golf"]'}})
    True
    >>> matches_filter_policy({"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}, scope="MessageBody",
    ...     body='{"detail": {"ip": "10.0.0.7"}}')
    True
    >>> matches_filter_policy({"a": ["x"]}, scope="MessageBody", body="not json")
    False
    """
    parsed, problems = _problems(policy, scope)
    if problems or parsed is None:
        raise InvalidFilterPolicy(problems)
    if not parsed:
        return True  # no filter policy: every message is delivered
    if scope == "MessageBody":
        document = _read_body(body)
        if document is None:
            return False
        leaves = _body_values(document)
        any_attributes = True
    else:
        attributes = message_attributes if isinstance(message_attributes, dict) else {}
        leaves = {}
        for name, attribute in attributes.items():
            values = _attribute_values(attribute)
            if values is not None:
                leaves[name] = values
        any_attributes = bool(attributes)
    for branch in _expand(parsed, ()):
        if all(
            any(_condition_holds(condition, leaves.get(".".join(path), []), any_attributes) for condition in conditions)
            for path, conditions in branch
        ):
            return True
    return False
