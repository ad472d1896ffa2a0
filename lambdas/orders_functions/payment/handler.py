"""Lambda entry point for ``payment-processing``: a thin shell around :mod:`orders_functions.payment.service`."""

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
from orders_functions.common.producer import MessageProducer
from orders_functions.common.readers import METRICS_NAMESPACE
from orders_functions.payment.service import PAYMENT_EVENT_TYPES, PaymentService
from orders_functions.payment.settings import PaymentSettings

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)


@cache
def runtime() -> Consumer[PaymentService]:
    sqs = boto3.client("sqs")
    settings = PaymentSettings.from_environment()
    payments = PaymentService(
        boto3.resource("dynamodb").Table(settings.payments_table),
        MessageProducer(settings.balance_updates_queue_url, sqs_client=sqs),
    )
    events = OrderEventProcessor(
        payments.handle, logger, "payment", settled=payments.is_settled, handled=PAYMENT_EVENT_TYPES, metrics=metrics
    )
    return Consumer(
        payments, events.process, FailurePolicy.from_environment(sqs, logger, already_done=events.already_done)
    )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_batch(event, context, runtime().handle)
