"""Lambda entry point for ``balance-updates.fifo``: a thin shell around :mod:`orders_functions.balance_updater.service`.

Order is kept per account (the message group): when a record fails, the records after it
in the same group are reported failed without being tried, and are redelivered after it.
Records of other groups in the batch go on (``skip_group_on_error``), which keeps
high-throughput mode useful without breaking any account's order.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from event_runtime.batch import process_batch
from event_runtime.failures import FailurePolicy
from orders_functions.balance_updater.service import BalanceLedger, BalanceUpdater
from orders_functions.balance_updater.settings import BalanceUpdaterSettings
from orders_functions.common.consumer import Consumer

logger = Logger()


@cache
def runtime() -> Consumer[BalanceUpdater]:
    settings = BalanceUpdaterSettings.from_environment()
    updates = BalanceUpdater(BalanceLedger(boto3.client("dynamodb"), settings.balances_table), logger)
    failures = FailurePolicy.from_environment(boto3.client("sqs"), logger, already_done=updates.already_applied)
    return Consumer(updates, updates.process, failures)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_batch(event, context, runtime().handle)
