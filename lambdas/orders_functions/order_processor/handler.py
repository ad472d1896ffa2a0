"""Lambda entry point for ``order-processing``: a thin shell around :mod:`orders_functions.order_processor.service`.

It builds the clients and settings once, and runs each record through
:class:`~orders_functions.order_processor.service.OrderProcessor` (the fact stored once, then announced);
failures are settled by :class:`event_runtime.failures.FailurePolicy`, and the batch reports partial
failures, so the rest of a batch is never lost or redone.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from event_runtime.batch import process_batch
from event_runtime.failures import FailurePolicy
from orders_functions.common.bus import BusPublisher
from orders_functions.common.consumer import Consumer
from orders_functions.common.events import OrderEventPublisher
from orders_functions.common.readers import METRICS_NAMESPACE
from orders_functions.order_processor.service import OrderProcessor, OrderStore
from orders_functions.order_processor.settings import OrderProcessorSettings

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)


@cache
def runtime() -> Consumer[OrderProcessor]:
    """Clients and configuration, built on first use (so tests can set the environment first)."""
    settings = OrderProcessorSettings.from_environment()
    orders = OrderProcessor(
        store=OrderStore(boto3.resource("dynamodb").Table(settings.orders_table)),
        publisher=OrderEventPublisher(boto3.client("sns"), settings.order_events_topic_arn),
        bus=BusPublisher(boto3.client("events"), settings.orders_bus_name),
        logger=logger,
        metrics=metrics,
    )
    return Consumer(orders, orders.process, FailurePolicy.from_environment(boto3.client("sqs"), logger))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_batch(event, context, runtime().handle)
