"""Lambda entry point for ``notification-service``."""

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
from orders_functions.common.readers import METRICS_NAMESPACE
from orders_functions.notification.service import NotificationRecorder

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@cache
def runtime() -> OrderEventConsumer:
    recorder = NotificationRecorder(boto3.resource("dynamodb").Table(os.environ["NOTIFICATIONS_TABLE"]))
    return OrderEventConsumer(
        recorder.record,
        FailurePolicy.from_environment(boto3.client("sqs"), logger),
        logger,
        "notification",
        public_only=True,  # whatever the subscription's filter let through
        metrics=metrics,
    )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=runtime().handle, processor=processor, context=context)
