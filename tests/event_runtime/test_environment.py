"""event_runtime.environment: the one place a consumer's variables are named, strict both ways."""

from __future__ import annotations

import pytest

from event_runtime.environment import ConsumerSettings
from event_runtime.settings import SettingsError

VALID = {
    "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/111122223333/balance-updates.fifo",
    "DEAD_LETTER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/111122223333/balance-updates-dlq.fifo",
    "MAX_ATTEMPTS": "8",
    "MAX_RECEIVE_COUNT": "400",
}


def test_what_the_construct_writes_the_handler_reads_back() -> None:
    settings = ConsumerSettings.from_environment({**VALID, "ATTEMPTS_TABLE": "attempts", "UNRELATED": "x"})
    assert settings.to_environment() == {**VALID, "ATTEMPTS_TABLE": "attempts"}


def test_without_an_attempts_table_every_receive_is_an_attempt() -> None:
    settings = ConsumerSettings.from_environment(VALID)
    assert settings.attempts_table is None
    assert "ATTEMPTS_TABLE" not in settings.to_environment()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"QUEUE_URL": None}, "QUEUE_URL is missing"),
        ({"DEAD_LETTER_QUEUE_URL": " "}, "DEAD_LETTER_QUEUE_URL is missing"),
        ({"MAX_ATTEMPTS": "0"}, "MAX_ATTEMPTS must be a whole number from 1, not '0'"),
        ({"MAX_RECEIVE_COUNT": "5.0"}, "MAX_RECEIVE_COUNT must be a whole number from 1, not '5.0'"),
        ({"MAX_RECEIVE_COUNT": None}, "MAX_RECEIVE_COUNT is missing"),
    ],
)
def test_a_missing_or_malformed_variable_fails_fast_and_says_which(change: dict[str, str | None], problem: str) -> None:
    environment = {k: v for k, v in {**VALID, **change}.items() if v is not None}
    with pytest.raises(SettingsError, match=problem):
        ConsumerSettings.from_environment(environment)


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as raised:
        ConsumerSettings.from_environment({})
    assert str(raised.value).count("is missing") == 4
