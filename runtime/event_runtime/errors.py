"""How a consumer classifies a failed message: poison (never retry), transient (retry with backoff), or neither.

Example:
    >>> from botocore.exceptions import ClientError
    >>> throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutItem")
    >>> is_transient(throttled), is_transient(TransientError("order not seen yet")), is_transient(KeyError("x"))
    (True, True, False)
"""

from __future__ import annotations

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError


class PoisonMessageError(Exception):
    """The message can never succeed (bad JSON, schema violation): dead-letter it now, with the reason."""


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
