"""event_runtime.settings: a function's settings read from its environment, strictly, every problem named at once,
and written only as they will read back.

The last cases were found by a review that tried to break the claims (each failed before the fix).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from event_runtime import ConsumerSettings, FunctionSettings, SettingsError, variable


@dataclass(frozen=True)
class Example(FunctionSettings):
    table: str = variable("TABLE")
    batch: int = variable("BATCH", minimum=1)
    retries: int = variable("RETRIES")
    limit: Decimal = variable("LIMIT")
    note: str | None = variable("NOTE", optional=True)
    ceiling: Decimal | None = variable("CEILING", optional=True)


EXAMPLE = {"TABLE": "jobs", "BATCH": "10", "RETRIES": "0", "LIMIT": "2500.50"}


def test_each_type_is_read_as_itself_and_an_absent_optional_is_none() -> None:
    assert Example.from_environment(EXAMPLE) == Example(
        table="jobs", batch=10, retries=0, limit=Decimal("2500.50"), note=None, ceiling=None
    )


def test_an_optional_that_is_there_is_read_like_any_other() -> None:
    read = Example.from_environment({**EXAMPLE, "NOTE": "hello", "CEILING": "1e3"})
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
        Example.from_environment({**EXAMPLE, **change})


def test_a_blank_optional_counts_as_absent() -> None:
    assert Example.from_environment({**EXAMPLE, "NOTE": " ", "CEILING": ""}).ceiling is None


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
    for name, value in EXAMPLE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NOTE", raising=False)
    assert Example.from_environment().table == "jobs"


# --- Found by a review that tried to break the runtime half's claims -------------------------------------------


VALID = {
    "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/jobs",
    "DEAD_LETTER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/jobs-dlq",
    "MAX_ATTEMPTS": "8",
    "MAX_RECEIVE_COUNT": "40",
}


@pytest.mark.parametrize("raw", ["²", "¹²", "9" * 5000, "+3", "-1", "3.0", " 3"])
def test_a_malformed_whole_number_is_named_with_every_other_problem(raw: str) -> None:
    """'²'.isdigit() is True: int() then raised a bare ValueError and hid the other problems."""
    environment = {k: v for k, v in {**VALID, "MAX_ATTEMPTS": raw}.items() if k != "QUEUE_URL"}
    with pytest.raises(SettingsError) as raised:
        ConsumerSettings.from_environment(environment)
    assert "QUEUE_URL is missing" in str(raised.value)
    assert "MAX_ATTEMPTS must be a whole number from 1" in str(raised.value)


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-inf", "sNaN", "1e", "twelve"])
def test_a_decimal_must_be_a_finite_number(raw: str) -> None:
    @dataclass(frozen=True)
    class Prices(FunctionSettings):
        rate: Decimal = variable("RATE")

    with pytest.raises(SettingsError, match="RATE must be a decimal number"):
        Prices.from_environment({"RATE": raw})
    assert Prices.from_environment({"RATE": "1e3"}).rate == Decimal("1000")


def test_an_optional_whole_number_is_none_when_absent_and_checked_when_present() -> None:
    @dataclass(frozen=True)
    class Limits(FunctionSettings):
        limit: int | None = variable("LIMIT", optional=True, minimum=1)

    assert Limits.from_environment({}).limit is None
    assert Limits.from_environment({"LIMIT": "3"}).limit == 3
    with pytest.raises(SettingsError, match="LIMIT must be a whole number from 1, not '0'"):
        Limits.from_environment({"LIMIT": "0"})


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"attempts_table": ""}, "ATTEMPTS_TABLE must be a text that is not blank"),
        ({"queue_url": ""}, "QUEUE_URL must be a text that is not blank"),
        ({"max_attempts": 0}, "MAX_ATTEMPTS must be a whole number from 1, not 0"),
        ({"max_attempts": True}, "MAX_ATTEMPTS must be a whole number from 1, not True"),
        ({"max_receive_count": "40"}, "MAX_RECEIVE_COUNT must be a whole number from 1, not '40'"),
    ],
)
def test_settings_that_would_not_read_back_are_refused_when_made(values: dict[str, object], problem: str) -> None:
    """ATTEMPTS_TABLE="" was written, and read back as None: the consumer counted receives instead of attempts."""
    arguments: dict[str, object] = {
        "queue_url": "q",
        "dead_letter_queue_url": "d",
        "max_attempts": 8,
        "max_receive_count": 40,
        **values,
    }
    with pytest.raises(SettingsError, match=problem):
        ConsumerSettings(**arguments)  # type: ignore[arg-type]


def test_what_is_made_reads_back_the_same() -> None:
    made = ConsumerSettings(
        queue_url="q", dead_letter_queue_url="d", max_attempts=8, max_receive_count=40, attempts_table="t"
    )
    assert ConsumerSettings.from_environment(made.to_environment()) == made


def test_a_field_type_settings_cannot_read_is_refused_not_passed_on_as_text() -> None:
    """A bool field read 'false' as the (truthy) text 'false'."""

    @dataclass(frozen=True)
    class Flags(FunctionSettings):
        enabled: bool = variable("ENABLED")

    with pytest.raises(TypeError, match="ENABLED: a settings field is str, int or Decimal"):
        Flags.from_environment({"ENABLED": "false"})


def test_a_number_known_only_at_deploy_time_is_written_as_its_token() -> None:
    import aws_cdk as cdk

    stack = cdk.Stack(cdk.App(), "Tokens")
    attempts = cdk.CfnParameter(stack, "Attempts", type="Number").value_as_number
    environment = ConsumerSettings(
        queue_url="q",
        dead_letter_queue_url="d",
        max_attempts=attempts,  # type: ignore[arg-type]
        max_receive_count=40,
    ).to_environment()
    assert stack.resolve(environment["MAX_ATTEMPTS"]) == {"Ref": "Attempts"}
