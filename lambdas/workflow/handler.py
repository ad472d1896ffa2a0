"""Lambda entry points of the high-value order flow, one per task (thin shells around tasks.py).

Each receives the state's input (the flow's order) and returns the task's result; the
state machine places the result in the state (``ResultPath``).
"""

from __future__ import annotations

import os
from decimal import Decimal
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import tasks

logger = Logger()


@cache
def store() -> tasks.WorkflowStore:
    return tasks.WorkflowStore(boto3.resource("dynamodb").Table(os.environ["WORKFLOW_TABLE"]))


def _order(event: dict[str, Any]) -> dict[str, Any]:
    logger.append_keys(order_id=event.get("order_id"), correlation_id=event.get("correlation_id"))
    return event


@logger.inject_lambda_context
def screen_for_fraud(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return tasks.screen_for_fraud(_order(event))


@logger.inject_lambda_context
def check_credit_limit(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return tasks.check_credit_limit(_order(event), Decimal(os.environ.get("CREDIT_LIMIT", tasks.DEFAULT_CREDIT_LIMIT)))


@logger.inject_lambda_context
def reserve_inventory(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    unavailable = [o for o in os.environ.get("OUT_OF_STOCK_ORDERS", "").split(",") if o]
    return store().reserve_inventory(_order(event), unavailable)


@logger.inject_lambda_context
def release_inventory(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return store().release_inventory(_order(event))


@logger.inject_lambda_context
def assign_account_manager(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return store().assign_account_manager(_order(event))
