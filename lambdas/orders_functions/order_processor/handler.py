"""Lambda entry point for ``order-processing``: a thin shell around :mod:`orders_functions.order_processor.service`.

Per record: parse (a poison message goes to the DLQ with the reason), record the message's fact
in the order's item once, then announce what the stored order has not announced yet: each event
to the ``order-events`` topic, and the order.created event to the ``orders`` bus, each marked in
the item once it is out. A duplicate of any age finds its fact stored and its events marked, and
does nothing; a redelivery after a crash announces only what is still pending, with the same
event ids. Failures are settled by :class:`event_runtime.failures.FailurePolicy`; the batch
reports partial failures, so the rest of a batch is never lost or redone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import TypeAdapter, ValidationError

from event_runtime.batch import process_batch
from event_runtime.errors import PoisonMessageError
from event_runtime.failures import FailurePolicy
from orders_functions.common.bus import BusPublisher
from orders_functions.common.events import NotHandledHere, OrderEventPublisher
from orders_functions.common.limits import CorrelationId
from orders_functions.common.readers import METRICS_NAMESPACE, count_unhandled, note_unknown_fields
from orders_functions.order_processor.service import (
    PUBLISHED,
    PUT_ON_BUS,
    OrderStore,
    order_created_detail,
    pending,
    read_order_message,
)
from orders_functions.order_processor.settings import OrderProcessorSettings

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
# Every failure is reported per record (batchItemFailures), even when all records of a batch fail.

CORRELATION_ATTRIBUTE = "correlation_id"


_correlation_ids: TypeAdapter[str] = TypeAdapter(CorrelationId)


def correlation_id_of(record: SQSRecord) -> str:
    """The correlation id the producer set, or a new one: this is where an order enters the system."""
    attribute = (record.raw_event.get("messageAttributes") or {}).get(CORRELATION_ATTRIBUTE) or {}
    return entry_correlation_id(attribute.get("stringValue"))


def entry_correlation_id(given: str | None) -> str:
    """``given``, or a new id when there is none.

    It travels in every event of the order, so one that could not (too long) is refused here, as poison.
    """
    if not given:
        return str(uuid.uuid4())
    try:
        return _correlation_ids.validate_python(given)
    except ValidationError as error:
        problem = error.errors(include_url=False)[0]["msg"]
        raise PoisonMessageError(f"correlation_id attribute: {problem}") from None


@dataclass
class Runtime:
    store: OrderStore
    publisher: OrderEventPublisher
    bus: BusPublisher
    failures: FailurePolicy

    def process(self, record: SQSRecord) -> dict[str, Any]:
        logger.remove_keys(["order_id", "event_type", "correlation_id"])
        try:
            message, data = read_order_message(record.body)
        except NotHandledHere as unhandled:
            return count_unhandled(metrics, logger, unhandled.event_type)
        note_unknown_fields(logger, data, type(message))
        correlation_id = correlation_id_of(record)
        logger.append_keys(order_id=message.order_id, event_type=message.event_type, correlation_id=correlation_id)
        applied = self.store.apply(message, correlation_id)
        announced = self.announce(applied.order)
        result = {"order_id": message.order_id, "outcome": applied.outcome, "announced": announced}
        logger.info("order applied", extra=result)
        return result

    def announce(self, order: dict[str, Any]) -> list[str]:
        """Publish what ``order`` has not announced yet, in order; returns the event ids sent now."""
        sent: list[str] = []
        for event in pending(order, PUBLISHED):
            self.publisher.publish(event)
            self.store.mark(event.order_id, PUBLISHED, event.event_id)
            sent.append(event.event_id)
        for event in pending(order, PUT_ON_BUS):
            if event.event_type != "order.created":
                continue
            # The orchestration half: high-value orders are routed to the workflow by the bus.
            self.bus.put_order_created(order_created_detail(order))
            self.store.mark(event.order_id, PUT_ON_BUS, event.event_id)
            sent.append(f"bus:{event.event_id}")
        return sent

    def handle(self, record: SQSRecord) -> Any:
        return self.failures.run(record, self.process)


@cache
def runtime() -> Runtime:
    """Clients and configuration, built on first use (so tests can set the environment first)."""
    settings = OrderProcessorSettings.from_environment()
    return Runtime(
        store=OrderStore(boto3.resource("dynamodb").Table(settings.orders_table)),
        publisher=OrderEventPublisher(boto3.client("sns"), settings.order_events_topic_arn),
        bus=BusPublisher(boto3.client("events"), settings.orders_bus_name),
        failures=FailurePolicy.from_environment(boto3.client("sqs"), logger),
    )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_batch(event, context, runtime().handle)
