"""Lambda entry point for ``analytics-ingestion``: one data-lake object per batch.

Poison records (not JSON, no event) go to the DLQ with the reason and are left out of the
object. If the object cannot be written, every other record of the batch is retried (with
backoff) or, on its last attempt, dead-lettered with the reason: none is dropped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from analytics.service import DataLake, lake_line
from orders_common.failures import FailurePolicy

logger = Logger()


@dataclass
class Runtime:
    lake: DataLake
    failures: FailurePolicy

    def ingest(self, records: list[SQSRecord]) -> list[str]:
        """Write the batch; return the message ids to report as failed."""
        failed: list[str] = []
        written: list[SQSRecord] = []
        lines: list[dict[str, Any]] = []
        for record in records:
            try:
                lines.append(lake_line(record))
                written.append(record)
            except Exception as error:
                if not self.failures.settle(record, error):
                    failed.append(record.message_id)
        if not written:
            return failed
        try:
            key = self.lake.write(written, lines)
        except Exception as error:
            logger.exception("could not write the batch to the data lake")
            failed += [record.message_id for record in written if not self.failures.settle(record, error)]
            return failed
        correlation_ids = sorted({str(line["event"].get("correlation_id")) for line in lines})
        logger.info("batch written", extra={"key": key, "events": len(lines), "correlation_ids": correlation_ids})
        return failed


@cache
def runtime() -> Runtime:
    return Runtime(
        lake=DataLake(boto3.client("s3"), os.environ["DATA_LAKE_BUCKET"]),
        failures=FailurePolicy.from_environment(boto3.client("sqs"), logger),
    )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = [SQSRecord(raw) for raw in event.get("Records", [])]
    failed = runtime().ingest(records)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
