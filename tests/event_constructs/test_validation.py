"""event_constructs._validation: every problem with a construct's props collected, then one error naming them all."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from event_constructs._validation import InvalidPropsError, PropsProblems, seconds


def test_nothing_is_raised_while_every_check_holds() -> None:
    problems = PropsProblems("EventQueue", "Stack/Orders")
    problems.check(True, "never said")
    problems.raise_if_any()


def test_every_problem_is_named_at_once_with_the_construct_and_its_path() -> None:
    problems = PropsProblems("QueueConsumer", "Stack/Worker")
    problems.check(False, "batch_size is 0; use 1 to 10")
    problems.check(True, "not said")
    problems.check(False, "max_concurrency is 1; use 2 to 1000")
    with pytest.raises(InvalidPropsError) as raised:
        problems.raise_if_any()
    error = raised.value
    assert (error.construct_type, error.path) == ("QueueConsumer", "Stack/Worker")
    assert error.problems == ["batch_size is 0; use 1 to 10", "max_concurrency is 1; use 2 to 1000"]
    assert str(error) == (
        "QueueConsumer 'Stack/Worker' has 2 invalid props:\n"
        "  - batch_size is 0; use 1 to 10\n"
        "  - max_concurrency is 1; use 2 to 1000"
    )
    assert isinstance(error, ValueError)


def test_a_duration_is_its_seconds_or_none_when_absent() -> None:
    assert seconds(cdk.Duration.minutes(2)) == 120
    assert seconds(cdk.Duration.hours(1)) == 3600
    assert seconds(None) is None
