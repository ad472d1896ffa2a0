"""common.errors: the app's own failure kinds, and a validation error told in one line."""

from __future__ import annotations

from pydantic import BaseModel, Field, ValidationError

from event_runtime.errors import PoisonMessageError, is_transient
from orders_functions.common.errors import PayloadTooLargeError, describe_validation_error


class Order(BaseModel):
    order_id: str = Field(max_length=3)
    total: int
    lines: list[int] = []


def error_of(data: object) -> ValidationError:
    try:
        Order.model_validate(data)
    except ValidationError as error:
        return error
    raise AssertionError("valid")


def test_each_field_is_named_with_its_problem_in_one_line() -> None:
    described = describe_validation_error(error_of({"order_id": "toolong", "lines": [1, "x"]}))
    assert described == (
        "order_id: String should have at most 3 characters; total: Field required; "
        "lines.1: Input should be a valid integer, unable to parse string as an integer"
    )


def test_at_most_the_limit_of_problems_are_named() -> None:
    described = describe_validation_error(error_of({"order_id": "toolong", "lines": ["a", "b", "c"]}), limit=2)
    assert described.count(";") == 1


def test_a_whole_body_that_is_wrong_is_named_as_the_body() -> None:
    assert describe_validation_error(error_of("not an object")).startswith("body: ")


def test_a_payload_too_large_is_poison_never_retried() -> None:
    error = PayloadTooLargeError("message of 300000 bytes is over SQS's 262144")
    assert isinstance(error, PoisonMessageError) and isinstance(error, ValueError)
    assert not is_transient(error)
