"""How a handler classifies a failed message."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError


class PoisonMessageError(Exception):
    """The message can never succeed (bad JSON, schema violation): dead-letter it now, with the reason."""


class PayloadTooLargeError(PoisonMessageError, ValueError):
    """A message or event over its service's size limit: refused before sending, since resending cannot help.

    A PoisonMessageError, so a consumer whose output is refused dead-letters its input at once, with this reason.
    """


class TransientError(Exception):
    """A failure that may pass if the message is retried later (throttling, timeouts, an order not yet seen)."""


RETRYABLE_AWS_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalFailure",
        "InternalException",
        "SlowDown",
        "ServiceUnavailable",
        "TransactionConflictException",
        "LimitExceededException",
    }
)


def is_transient(error: BaseException) -> bool:
    """True for errors worth retrying with backoff.

    Besides the retryable error codes, every failure to reach or hear the service once botocore's own
    retries are spent: connection errors and HTTP client errors (a read timeout, a connection closed
    before the response, a response stream cut off).
    """
    if isinstance(error, TransientError | ConnectionError | HTTPClientError):
        return True
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code") in RETRYABLE_AWS_ERROR_CODES
    return False


def describe_validation_error(error: Any, limit: int = 5) -> str:
    """One line naming each field a pydantic ``ValidationError`` found wrong (at most ``limit``)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in issue['loc']) or 'body'}: {issue['msg']}"
        for issue in error.errors(include_url=False)[:limit]
    )
