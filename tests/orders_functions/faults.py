"""Inject AWS failures at the botocore level, where a real client would see them."""

from __future__ import annotations

import contextlib
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


class Killed(BaseException):
    """The invocation timed out mid-attempt: nothing after this point runs, not even ``except Exception``."""


def killed_at_every_attempt(env: Any, handler: Any, client: Any, operation: str, attempts: int) -> None:
    """Deliver ``attempts`` times, each invocation killed at its call of ``operation`` (nothing is deleted)."""

    def kill(**_: Any) -> None:
        raise Killed

    event_name = f"before-call.{client.meta.service_model.endpoint_prefix}.{operation}"
    client.meta.events.register(event_name, kill)
    try:
        for _ in range(attempts):
            with contextlib.suppress(Killed):
                env.deliver(handler)
            env.let_every_visibility_timeout_pass()
    finally:
        client.meta.events.unregister(event_name, kill)


def succeeded_on_the_last_attempt_then_killed(env: Any, handler: Any, failed_attempts: int) -> None:
    """Deliver until the record's last attempt (the failures before it already arranged), which succeeds, and
    the invocation is then killed before the batch is deleted: the record comes back with its effect done."""
    for _ in range(failed_attempts):
        assert len(env.deliver(handler).failed_ids) == 1
        env.let_time_pass()

    def killed_after_the_work(event: dict[str, Any], context: Any) -> Any:
        handler(event, context)
        raise TimeoutError("Task timed out after 30.00 seconds")

    env.deliver(killed_after_the_work)  # the whole batch stays: the invocation failed
    env.let_every_visibility_timeout_pass()
