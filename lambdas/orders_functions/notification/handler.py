"""Lambda entry point for ``notification-service``: a thin shell around :mod:`orders_functions.notification.service`."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from event_runtime.batch import process_batch
from event_runtime.failures import FailurePolicy
from orders_functions.common.consumer import Consumer
from orders_functions.common.order_event_consumer import OrderEventProcessor
from orders_functions.common.readers import METRICS_NAMESPACE
from orders_functions.notification.service import NotificationRecorder
from orders_functions.notification.settings import NotificationSettings

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)


@cache
def runtime() -> Consumer[NotificationRecorder]:
    recorder = NotificationRecorder(
        boto3.resource("dynamodb").Table(NotificationSettings.from_environment().notifications_table)
    )
    # public_only: whatever the subscription's filter let through, an internal event is not sent to a customer.
    events = OrderEventProcessor(recorder.record, logger, "notification", public_only=True, metrics=metrics)
    return Consumer(recorder, events.process, FailurePolicy.from_environment(boto3.client("sqs"), logger))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_batch(event, context, runtime().handle)
