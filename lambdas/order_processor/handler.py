"""Lambda entry point for ``order-processing``: a thin shell around :mod:`order_processor.service`.

Per record: parse (a poison message goes to the DLQ with the reason), apply the order once,
then publish what happened to the ``order-events`` topic. Consumer-side deduplication is keyed
on the order event (``event_type`` + ``order_id``, plus ``update_id`` for updates), not on the
SQS message id, so a producer that sends the same order twice creates and announces it once.
Failures are settled by :class:`orders_common.failures.FailurePolicy`; the batch reports
partial failures, so the rest of a batch is never lost or redone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
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

from order_processor.models import OrderCreated, OrderMessageType
from order_processor.service import OrderStore, order_created_detail, order_event, parse_order_message
from orders_common.bus import BusPublisher
from orders_common.errors import PoisonMessageError, TransientError
from orders_common.events import OrderEventPublisher
from orders_common.failures import FailurePolicy

logger = Logger()
# Every failure is reported per record (batchItemFailures), even when all records of a batch fail.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

#: What makes two messages the same order event, whatever their SQS message ids.
IDEMPOTENCY_KEY = "[event_type, order_id, update_id]"
#: A second message with the same key must also agree on these, or it is a conflicting order.
IDEMPOTENCY_PAYLOAD = "[customer_id, total, currency]"
CORRELATION_ATTRIBUTE = "correlation_id"


def correlation_id_of(record: SQSRecord) -> str:
    """The correlation id the producer set, or a new one: this is where an order enters the system."""
    attribute = (record.raw_event.get("messageAttributes") or {}).get(CORRELATION_ATTRIBUTE) or {}
    return attribute.get("stringValue") or str(uuid.uuid4())


@dataclass
class Runtime:
    store: OrderStore
    publisher: OrderEventPublisher
    bus: BusPublisher
    config: IdempotencyConfig
    failures: FailurePolicy
    apply_once: Callable[..., dict[str, Any]]

    def process(self, record: SQSRecord) -> Any:
        logger.remove_keys(["order_id", "event_type", "correlation_id"])
        message = parse_order_message(record.body)
        correlation_id = correlation_id_of(record)
        logger.append_keys(order_id=message.order_id, event_type=message.event_type, correlation_id=correlation_id)
        try:
            return self.apply_once(message=message, correlation_id=correlation_id)
        except IdempotencyValidationError:
            raise PoisonMessageError(
                f"{message.event_type} for order {message.order_id} was already processed with different "
                "content (customer, total or currency)"
            ) from None
        except IdempotencyAlreadyInProgressError:
            raise TransientError(f"order {message.order_id} is being processed by another invocation") from None

    def handle(self, record: SQSRecord) -> Any:
        return self.failures.run(record, self.process)

    def apply_and_publish(self, message: OrderMessageType, correlation_id: str) -> dict[str, Any]:
        applied = self.store.apply(message)
        # Published even when the order was already stored: an earlier attempt may have stopped
        # between the write and the publish. Subscribers deduplicate on event_id.
        event = order_event(message, applied.order, correlation_id, datetime.now(UTC).isoformat())
        sns_message_id = self.publisher.publish(event)
        result = {
            "order_id": message.order_id,
            "outcome": applied.outcome,
            "event_id": event.event_id,
            "sns_message_id": sns_message_id,
        }
        if isinstance(message, OrderCreated):
            # The orchestration half: high-value orders are routed to the workflow by the bus.
            (result["bus_event_id"],) = self.bus.put_order_created(order_created_detail(message, correlation_id))
        logger.info("order applied", extra={"outcome": applied.outcome, "event_id": event.event_id})
        return result


@cache
def runtime() -> Runtime:
    """Clients and configuration, built on first use (so tests can set the environment first)."""
    config = IdempotencyConfig(
        event_key_jmespath=IDEMPOTENCY_KEY,
        payload_validation_jmespath=IDEMPOTENCY_PAYLOAD,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=int(os.environ.get("IDEMPOTENCY_TTL_SECONDS", "3600")),
    )
    persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"])
    current = Runtime(
        store=OrderStore(boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])),
        publisher=OrderEventPublisher(boto3.client("sns"), os.environ["ORDER_EVENTS_TOPIC_ARN"]),
        bus=BusPublisher(boto3.client("events"), os.environ["ORDERS_BUS_NAME"]),
        config=config,
        failures=FailurePolicy.from_environment(boto3.client("sqs"), logger),
        apply_once=lambda **_: {},
    )

    @idempotent_function(data_keyword_argument="message", config=config, persistence_store=persistence)
    def apply_once(message: OrderMessageType, correlation_id: str) -> dict[str, Any]:
        return current.apply_and_publish(message, correlation_id)

    current.apply_once = apply_once
    return current


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    current = runtime()
    current.config.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=current.handle, processor=processor, context=context)
