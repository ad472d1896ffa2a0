"""Lambda entry point for ``payment-processing``."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_functions.common.failures import FailurePolicy
from orders_functions.common.order_event_consumer import OrderEventConsumer
from orders_functions.common.producer import MessageProducer
from orders_functions.common.readers import METRICS_NAMESPACE
from orders_functions.payment.service import PAYMENT_EVENT_TYPES, PaymentService

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@cache
def runtime() -> OrderEventConsumer:
    sqs = boto3.client("sqs")
    payments = PaymentService(
        boto3.resource("dynamodb").Table(os.environ["PAYMENTS_TABLE"]),
        MessageProducer(os.environ["BALANCE_UPDATES_QUEUE_URL"], sqs_client=sqs),
    )
    return OrderEventConsumer(
        payments.handle,
        FailurePolicy.from_environment(sqs, logger),
        logger,
        "payment",
        settled=payments.is_settled,
        handled=PAYMENT_EVENT_TYPES,
        metrics=metrics,
    )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=runtime().handle, processor=processor, context=context)
