"""Lambda entry point for ``order-processing``: a thin shell around :mod:`order_processor.service`.

Per record: parse (a poison message goes to the DLQ with the reason), then apply the order
once. Consumer-side deduplication is keyed on the order (``event_type`` + ``order_id``), not
on the SQS message id, so a producer that sends the same order twice creates it once.
Failures are settled by :class:`orders_common.failures.FailurePolicy`; the batch reports
partial failures, so the rest of a batch is never lost or redone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from order_processor.models import OrderCancelled, OrderCreated
from order_processor.service import OrderStore, parse_order_message
from orders_common.errors import PoisonMessageError, TransientError
from orders_common.failures import FailurePolicy

logger = Logger()
# Every failure is reported per record (batchItemFailures), even when all records of a batch fail.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

#: What makes two messages the same order event, whatever their SQS message ids.
IDEMPOTENCY_KEY = "[event_type, order_id]"
#: A second message with the same key must also agree on these, or it is a conflicting order.
IDEMPOTENCY_PAYLOAD = "[customer_id, total, currency]"


@dataclass
class Runtime:
    store: OrderStore
    config: IdempotencyConfig
    failures: FailurePolicy
    apply_once: Any

    def process(self, record: SQSRecord) -> Any:
        logger.remove_keys(["order_id", "event_type"])
        message = parse_order_message(record.body)
        logger.append_keys(order_id=message.order_id, event_type=message.event_type)
        try:
            return self.apply_once(message=message)
        except IdempotencyValidationError:
            raise PoisonMessageError(
                f"{message.event_type} for order {message.order_id} was already processed with different "
                "content (customer, total or currency)"
            ) from None
        except IdempotencyAlreadyInProgressError:
            raise TransientError(f"order {message.order_id} is being processed by another invocation") from None

    def handle(self, record: SQSRecord) -> Any:
        return self.failures.run(record, self.process)


@cache
def runtime() -> Runtime:
    """Clients and configuration, built on first use (so tests can set the environment first)."""
    sqs = boto3.client("sqs")
    store = OrderStore(boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"]))
    config = IdempotencyConfig(
        event_key_jmespath=IDEMPOTENCY_KEY,
        payload_validation_jmespath=IDEMPOTENCY_PAYLOAD,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=int(os.environ.get("IDEMPOTENCY_TTL_SECONDS", "3600")),
    )
    persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"])

    @idempotent_function(data_keyword_argument="message", config=config, persistence_store=persistence)
    def apply_once(message: OrderCreated | OrderCancelled) -> dict[str, Any]:
        return store.apply(message)

    return Runtime(
        store=store,
        config=config,
        failures=FailurePolicy.from_environment(sqs, logger),
        apply_once=apply_once,
    )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    current = runtime()
    current.config.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=current.handle, processor=processor, context=context)
