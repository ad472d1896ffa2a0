"""The app's own failure kinds, on top of :mod:`event_runtime.errors` (poison, transient)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from event_runtime.errors import PoisonMessageError


class PayloadTooLargeError(PoisonMessageError, ValueError):
    """A message or event over its service's size limit: refused before sending, since resending cannot help.

    A PoisonMessageError, so a consumer whose output is refused dead-letters its input at once, with this reason.
    """


def describe_validation_error(error: Any, limit: int = 5) -> str:
    """One line naming each field a pydantic ``ValidationError`` found wrong (at most ``limit``)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in issue['loc']) or 'body'}: {issue['msg']}"
        for issue in error.errors(include_url=False)[:limit]
    )


def is_conditional_check_failure(error: ClientError) -> bool:
    """Whether a botocore ``ClientError`` is DynamoDB refusing a conditional write (its condition was false).

    >>> is_conditional_check_failure(ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "PutItem"))
    True
    >>> is_conditional_check_failure(ClientError({"Error": {"Code": "ThrottlingException"}}, "PutItem"))
    False
    """
    return bool(error.response["Error"]["Code"] == "ConditionalCheckFailedException")
