"""Lambda entry point for ``balance-updates.fifo``.

Order is kept per account (the message group): when a record fails, the records after it
in the same group are reported failed without being tried, and are redelivered after it.
Records of other groups in the batch go on (``skip_group_on_error``), which keeps
high-throughput mode useful without breaking any account's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from event_runtime.batch import process_batch
from event_runtime.failures import FailurePolicy
from orders_functions.balance_updater.service import BalanceLedger, parse_balance_update
from orders_functions.balance_updater.settings import BalanceUpdaterSettings

logger = Logger()


@dataclass
class Runtime:
    ledger: BalanceLedger
    failures: FailurePolicy

    def process(self, record: SQSRecord) -> dict[str, Any]:
        attributes = record.raw_event.get("messageAttributes") or {}
        logger.append_keys(correlation_id=(attributes.get("correlation_id") or {}).get("stringValue"))
        update = parse_balance_update(record.body, record.attributes.message_group_id)
        result = self.ledger.apply(update, message_id=record.message_id)
        logger.info("balance update", extra={"account_id": update.account_id, **result})
        return result

    def handle(self, record: SQSRecord) -> Any:
        return self.failures.run(record, self.process)

    def already_applied(self, record: SQSRecord) -> bool:
        """For a record out of attempts: its transaction is in the ledger (the last attempt applied it)."""
        try:
            update = parse_balance_update(record.body, record.attributes.message_group_id)
        except Exception:
            return False
        return self.ledger.is_applied(update)


@cache
def runtime() -> Runtime:
    built = Runtime(
        ledger=BalanceLedger(boto3.client("dynamodb"), BalanceUpdaterSettings.from_environment().balances_table),
        failures=FailurePolicy.from_environment(boto3.client("sqs"), logger),
    )
    built.failures.already_done = built.already_applied
    return built


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_batch(event, context, runtime().handle)
