"""Lambda entry points of the high-value order flow, one per task (thin shells around tasks.py).

The pure tasks receive the state's input (the flow's order). The tasks that write receive
``{"order": <the state's input>, "execution_id": <$$.Execution.Id>}``, so each execution can tell
its own reservation from another execution's. Every task turns throttling and other transient
AWS errors into :class:`~event_runtime.errors.TransientError`, the one error name the flow
retries for them; the state machine places each result in the state (``ResultPath``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from event_runtime.errors import TransientError, is_transient
from orders_functions.workflow import tasks
from orders_functions.workflow.settings import WorkflowSettings

logger = Logger()

Task = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


@cache
def store() -> tasks.WorkflowStore:
    return tasks.WorkflowStore(boto3.resource("dynamodb").Table(WorkflowSettings.from_environment().workflow_table))


def task(function: Task) -> Task:
    """Log with the order's keys; raise TransientError for what is worth a retry."""

    @functools.wraps(function)
    def run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        order = event.get("order", event)
        logger.append_keys(
            order_id=order.get("order_id"),
            correlation_id=order.get("correlation_id") or None,  # "" when the event had none
            execution_id=event.get("execution_id"),
        )
        try:
            return function(event, context)
        except Exception as error:
            if is_transient(error) and not isinstance(error, TransientError):
                raise TransientError(f"{type(error).__name__}: {error}") from error
            raise

    return logger.inject_lambda_context(run)


def _order_and_execution(event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    execution_id = event.get("execution_id")
    if not execution_id:
        raise tasks.MissingExecutionId(
            "this task writes for one execution and was given no execution_id: the execution was started by a "
            "definition that does not pass $$.Execution.Id; it changes nothing (see the order's workflow item)"
        )
    return event["order"], str(execution_id)


@task
def screen_for_fraud(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return tasks.screen_for_fraud(event)


@task
def check_credit_limit(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return tasks.check_credit_limit(event, tasks.DEFAULT_CREDIT_LIMIT)


@task
def reserve_inventory(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    order, execution_id = _order_and_execution(event)
    return store().reserve_inventory(order, execution_id)


@task
def release_inventory(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return store().release_inventory(*_order_and_execution(event))


@task
def assign_account_manager(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return store().assign_account_manager(*_order_and_execution(event))
