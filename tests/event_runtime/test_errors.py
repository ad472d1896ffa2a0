"""event_runtime.errors: which failures are worth a retry with backoff, and which never are."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from event_runtime.errors import RETRYABLE_AWS_ERROR_CODES, PoisonMessageError, TransientError, is_transient


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "injected"}}, "PutItem")


@pytest.mark.parametrize("code", sorted(RETRYABLE_AWS_ERROR_CODES))
def test_throttling_and_service_side_errors_are_transient(code: str) -> None:
    assert is_transient(client_error(code))


@pytest.mark.parametrize(
    "code", ["ConditionalCheckFailedException", "AccessDeniedException", "ValidationException", "ResourceNotFound"]
)
def test_errors_a_retry_cannot_fix_are_not(code: str) -> None:
    assert not is_transient(client_error(code))


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="https://sqs.us-east-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        ConnectionClosedError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
    ],
    ids=["cannot-connect", "read-timeout", "connection-closed"],
)
def test_not_reaching_or_not_hearing_the_service_is_transient(error: Exception) -> None:
    assert is_transient(error)


def test_a_consumer_says_transient_itself_and_anything_else_is_not() -> None:
    assert is_transient(TransientError("order not seen yet"))
    assert not is_transient(PoisonMessageError("bad JSON"))
    assert not is_transient(KeyError("order_id"))
    assert not is_transient(client_error(""))  # no code at all
