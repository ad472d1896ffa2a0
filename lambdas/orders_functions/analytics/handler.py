"""Lambda entry point for ``analytics-ingestion``: each event into the data lake, once per event id.

Poison records (not JSON, no event) go to the DLQ with the reason. Every other record is one
object write of its own (:mod:`orders_functions.analytics.service`), settled by
:class:`event_runtime.failures.FailurePolicy` like any consumer's record: a failed write is
retried with backoff or, on its last attempt, dead-lettered with the reason, and the rest of
the batch is unaffected.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from event_runtime.batch import process_batch
from event_runtime.failures import FailurePolicy
from orders_functions.analytics.service import DataLake
from orders_functions.analytics.settings import AnalyticsSettings
from orders_functions.common.consumer import Consumer

logger = Logger()


@cache
def runtime() -> Consumer[DataLake]:
    lake = DataLake(boto3.client("s3"), AnalyticsSettings.from_environment().data_lake_bucket, logger)
    return Consumer(lake, lake.write, FailurePolicy.from_environment(boto3.client("sqs"), logger))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_batch(event, context, runtime().handle)
