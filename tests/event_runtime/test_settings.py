"""event_runtime.settings: a function's settings read from its environment, strictly, every problem named at once."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from event_runtime.settings import FunctionSettings, SettingsError, variable


@dataclass(frozen=True)
class Example(FunctionSettings):
    table: str = variable("TABLE")
    batch: int = variable("BATCH", minimum=1)
    retries: int = variable("RETRIES")
    limit: Decimal = variable("LIMIT")  # noqa: RUF009 (variable() returns a dataclasses.field)
    note: str | None = variable("NOTE", optional=True)
    ceiling: Decimal | None = variable("CEILING", optional=True)  # noqa: RUF009


VALID = {"TABLE": "jobs", "BATCH": "10", "RETRIES": "0", "LIMIT": "2500.50"}


def test_each_type_is_read_as_itself_and_an_absent_optional_is_none() -> None:
    assert Example.from_environment(VALID) == Example(
        table="jobs", batch=10, retries=0, limit=Decimal("2500.50"), note=None, ceiling=None
    )


def test_an_optional_that_is_there_is_read_like_any_other() -> None:
    read = Example.from_environment({**VALID, "NOTE": "hello", "CEILING": "1e3"})
    assert (read.note, read.ceiling) == ("hello", Decimal("1E+3"))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"TABLE": "   "}, "TABLE is missing"),
        ({"BATCH": "0"}, "BATCH must be a whole number from 1, not '0'"),
        ({"BATCH": "-3"}, "BATCH must be a whole number from 1, not '-3'"),
        ({"RETRIES": "2.0"}, "RETRIES must be a whole number from 0, not '2.0'"),
        ({"RETRIES": "two"}, "RETRIES must be a whole number from 0, not 'two'"),
        ({"LIMIT": "lots"}, "LIMIT must be a decimal number, not 'lots'"),
        ({"LIMIT": "NaN"}, "LIMIT must be a decimal number, not 'NaN'"),
        ({"LIMIT": "Infinity"}, "LIMIT must be a decimal number, not 'Infinity'"),
        ({"CEILING": "inf"}, "CEILING must be a decimal number, not 'inf'"),
    ],
)
def test_a_malformed_value_is_refused_naming_the_variable_and_the_value(change: dict[str, str], problem: str) -> None:
    with pytest.raises(SettingsError, match=f"^Example: {problem}$"):
        Example.from_environment({**VALID, **change})


def test_a_blank_optional_counts_as_absent() -> None:
    assert Example.from_environment({**VALID, "NOTE": " ", "CEILING": ""}).ceiling is None


def test_every_problem_is_named_at_once_in_field_order() -> None:
    with pytest.raises(SettingsError) as raised:
        Example.from_environment({"BATCH": "x", "CEILING": "?"})
    assert str(raised.value) == (
        "Example: TABLE is missing; BATCH must be a whole number from 1, not 'x'; RETRIES is missing; "
        "LIMIT is missing; CEILING must be a decimal number, not '?'"
    )


def test_the_environment_a_stack_writes_is_what_the_handler_reads_back() -> None:
    settings = Example(table="jobs", batch=5, retries=2, limit=Decimal("10.00"), note=None, ceiling=Decimal("7"))
    environment = settings.to_environment()
    assert environment == {"TABLE": "jobs", "BATCH": "5", "RETRIES": "2", "LIMIT": "10.00", "CEILING": "7"}
    assert Example.from_environment(environment) == settings


def test_the_variables_are_named_once_in_field_order() -> None:
    assert Example.variables() == {
        "table": "TABLE",
        "batch": "BATCH",
        "retries": "RETRIES",
        "limit": "LIMIT",
        "note": "NOTE",
        "ceiling": "CEILING",
    }


def test_without_an_environment_given_the_process_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in VALID.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NOTE", raising=False)
    assert Example.from_environment().table == "jobs"
