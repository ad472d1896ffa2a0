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


def count_successes(client: Any, operation: str, counter: Callable[[dict[str, Any]], None]) -> None:
    """Call ``counter(api_params)`` after each call of ``operation`` that AWS (moto) answered with success."""
    service = client.meta.service_model.service_name

    def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # A snapshot: some handlers (S3's body) replace parameters in place before the call.
        context["faults_api_params"] = {name: value for name, value in params.items() if name != "Body"}
        context["faults_api_params"]["Body"] = str(params.get("Body", ""))

    def done(http_response: Any, context: dict[str, Any], **_: Any) -> None:
        if http_response.status_code < 300:
            counter(context.get("faults_api_params") or {})

    client.meta.events.register(f"before-parameter-build.{service}.{operation}", remember)
    client.meta.events.register(f"after-call.{service}.{operation}", done)
