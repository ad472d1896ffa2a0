"""Errors eventctl reports as one line on stderr, with a non-zero exit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

T = TypeVar("T")


class EventctlError(Exception):
    """A problem the operator can fix; the message says how."""


@contextmanager
def aws_errors(endpoint: str | None) -> Iterator[None]:
    """Turn the AWS SDK's failures into EventctlErrors that say what to do."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise EventctlError(
            "no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ) from None
    except NoRegionError:
        raise EventctlError("no AWS region: set AWS_DEFAULT_REGION (for example us-east-1)") from None
    except EndpointConnectionError as error:
        where = endpoint or str(error.kwargs.get("endpoint_url", "AWS"))
        raise EventctlError(f"cannot reach {where}: is the endpoint up (AWS_ENDPOINT_URL)?") from None
    except ClientError as error:
        details = error.response.get("Error", {})
        raise EventctlError(f"{error.operation_name} failed: {details.get('Code')}: {details.get('Message')}") from None


def guarded(endpoint: str | None, call: Callable[[], T]) -> T:
    with aws_errors(endpoint):
        return call()
