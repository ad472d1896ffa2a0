"""Inject AWS failures at the botocore level, where a real client would see them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError


def fail_calls(
    client: Any,
    operation: str,
    times: int,
    code: str = "ProvisionedThroughputExceededException",
    when: Callable[[dict[str, Any]], bool] = lambda params: True,
) -> list[dict[str, Any]]:
    """Make the next ``times`` calls of ``operation`` (matching ``when``) fail with ``code``.

    Returns the list of failed call parameters, which grows as calls fail.
    """
    service = client.meta.service_model.service_name
    failed: list[dict[str, Any]] = []

    def hook(params: dict[str, Any], **_: Any) -> None:
        if len(failed) < times and when(params):
            failed.append(params)
            raise ClientError({"Error": {"Code": code, "Message": f"injected {code}"}}, operation)

    client.meta.events.register(f"before-parameter-build.{service}.{operation}", hook)
    return failed


def record_calls(client: Any, operation: str) -> list[dict[str, Any]]:
    """Record the parameters of every ``operation`` call (the call itself still happens)."""
    service = client.meta.service_model.service_name
    calls: list[dict[str, Any]] = []
    client.meta.events.register(
        f"before-parameter-build.{service}.{operation}", lambda params, **_: calls.append(params)
    )
    return calls
