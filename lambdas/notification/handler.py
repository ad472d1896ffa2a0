"""Lambda entry point for ``notification-service``."""

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
from aws_lambda_powertools.utilities.typing import LambdaContext

from notification.service import NotificationRecorder
from orders_common.events import parse_order_event
from orders_common.failures import FailurePolicy

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@dataclass
class Runtime:
    recorder: NotificationRecorder
    failures: FailurePolicy

    def process(self, record: SQSRecord) -> dict[str, Any]:
        event = parse_order_event(record)
        logger.append_keys(correlation_id=event.correlation_id, order_id=event.order_id)
        result = self.recorder.record(event)
        logger.info("notification", extra=result)
        return result

    def handle(self, record: SQSRecord) -> Any:
        return self.failures.run(record, self.process)


@cache
def runtime() -> Runtime:
    return Runtime(
        recorder=NotificationRecorder(boto3.resource("dynamodb").Table(os.environ["NOTIFICATIONS_TABLE"])),
        failures=FailurePolicy.from_environment(boto3.client("sqs"), logger),
    )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=runtime().handle, processor=processor, context=context)
