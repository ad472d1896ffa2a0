"""Typed settings of a function, read from its environment: each variable named once, read strictly.

A settings class is a frozen dataclass whose fields say which variable holds them
(:func:`variable`). The stack that builds the function writes the environment with
:meth:`FunctionSettings.to_environment`; the handler reads it with
:meth:`FunctionSettings.from_environment`, which fails fast, naming every missing or malformed
variable at once: no silent defaults. Types: ``str`` (not blank), ``int`` (a whole number, at
least ``minimum``, ASCII digits only, at most 18 of them), ``Decimal`` (finite); ``| None`` with
``optional=True`` for a variable that may be absent. Any other field type is refused (TypeError).

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class PaymentSettings(FunctionSettings):
    ...     payments_table: str = variable("PAYMENTS_TABLE")
    ...     batch_limit: int = variable("BATCH_LIMIT", minimum=1)
    >>> PaymentSettings(payments_table="payments", batch_limit=10).to_environment()
    {'PAYMENTS_TABLE': 'payments', 'BATCH_LIMIT': '10'}
    >>> PaymentSettings.from_environment({"PAYMENTS_TABLE": "payments", "BATCH_LIMIT": "10", "OTHER": "x"})
    PaymentSettings(payments_table='payments', batch_limit=10)
    >>> PaymentSettings.from_environment({"BATCH_LIMIT": "0"})
    Traceback (most recent call last):
    ...
    event_runtime.settings.SettingsError: PaymentSettings: PAYMENTS_TABLE is missing; \
BATCH_LIMIT must be a whole number from 1, not '0'
"""

from __future__ import annotations

import os
import typing
from collections.abc import Mapping
from dataclasses import MISSING, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any, Self


class SettingsError(ValueError):
    """A function's environment lacks a variable its settings need, or holds a malformed one."""


def variable(name: str, *, optional: bool = False, minimum: int = 0) -> Any:
    """A settings field held in the variable ``name`` (``optional``: may be absent, then None)."""
    return field(default=None if optional else MISSING, metadata={"variable": name, "minimum": minimum})


#: The field types a variable can hold (with ``| None`` for an optional one).
SUPPORTED_TYPES = (str, int, Decimal)
#: At most this many digits in a whole number (what a count or a size needs; Python refuses 4,300).
MAX_DIGITS = 18


class FunctionSettings:
    """Base of a function's settings classes (frozen dataclasses whose fields are :func:`variable`).

    Built in code (by a stack), the values are checked as the handler will read them: what
    :meth:`from_environment` would refuse is refused here, so an environment written from settings
    always reads back as the same settings.
    """

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        problems: list[str] = []
        for spec in fields(self):  # type: ignore[arg-type]
            value, name = getattr(self, spec.name), spec.metadata["variable"]
            kind = _base_type(hints[spec.name], name)
            if value is None:
                if spec.default is not None:
                    problems.append(f"{name} is required")
            elif kind is str and (not isinstance(value, str) or not value.strip()):
                problems.append(f"{name} must be a text that is not blank (None for an optional one), not {value!r}")
            elif isinstance(value, float) and kind is not str:
                continue  # a number known at deploy time (a CDK token encodes one as a float): read back at run time
            elif kind is int and (
                isinstance(value, bool) or not isinstance(value, int) or value < spec.metadata["minimum"]
            ):
                problems.append(f"{name} must be a whole number from {spec.metadata['minimum']}, not {value!r}")
            elif kind is Decimal and (not isinstance(value, Decimal) or not value.is_finite()):
                problems.append(f"{name} must be a finite Decimal, not {value!r}")
        if problems:
            raise SettingsError(f"{type(self).__name__}: " + "; ".join(problems))

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Field name -> variable name, in field order."""
        return {f.name: f.metadata["variable"] for f in fields(cls)}  # type: ignore[arg-type]

    def to_environment(self) -> dict[str, str]:
        """The variables, as a stack sets them (values may be CloudFormation tokens); absent optionals left out."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        return {self.variables()[name]: str(value) for name, value in values.items() if value is not None}

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] | None = None) -> Self:
        """The settings in ``environment`` (default: this process's); :class:`SettingsError` names each problem."""
        environment = os.environ if environment is None else environment
        hints = typing.get_type_hints(cls)
        problems: list[str] = []
        values: dict[str, Any] = {}
        for spec in fields(cls):  # type: ignore[arg-type]
            name, raw = spec.metadata["variable"], environment.get(spec.metadata["variable"])
            optional = spec.default is None
            if raw is None or not raw.strip():
                if not optional:
                    problems.append(f"{name} is missing")
                values[spec.name] = None
                continue
            values[spec.name] = _parse(
                name, raw, _base_type(hints[spec.name], name), spec.metadata["minimum"], problems
            )
        if problems:
            raise SettingsError(f"{cls.__name__}: " + "; ".join(problems))
        return cls(**values)


def _base_type(hint: Any, name: str) -> type:
    arguments = [a for a in typing.get_args(hint) if a is not type(None)]
    kind = arguments[0] if arguments else hint
    if len(arguments) > 1 or kind not in SUPPORTED_TYPES:
        raise TypeError(f"{name}: a settings field is str, int or Decimal (| None when optional), not {hint!r}")
    return kind


def _parse(name: str, raw: str, kind: type, minimum: int, problems: list[str]) -> Any:
    if kind is int:
        if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_DIGITS or int(raw) < minimum:
            problems.append(f"{name} must be a whole number from {minimum}, not {raw!r}")
            return None
        return int(raw)
    if kind is Decimal:
        try:
            number = Decimal(raw)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            problems.append(f"{name} must be a decimal number, not {raw!r}")
            return None
        return number
    return raw
