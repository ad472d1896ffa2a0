"""Write a batch of events to the data lake as one newline-delimited JSON object.

Objects are partitioned by date: ``events/dt=YYYY-MM-DD/<batch id>.ndjson``, where the date
is the day (UTC) the first message of the batch was sent, and the batch id is a hash of its
message ids. Both are the same on every retry of the same batch, so a retried write
replaces the object instead of adding a second copy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from orders_common.events import unwrap


def lake_line(record: SQSRecord) -> dict[str, Any]:
    """One line of the lake: the event and what SNS and SQS said about it. Raises PoisonMessageError."""
    event, attributes = unwrap(record)
    envelope: dict[str, Any] = json.loads(record.body or "{}")
    return {
        "message_id": envelope.get("MessageId", record.message_id),
        "published_at": envelope.get("Timestamp"),
        "event_type": attributes.get("event_type"),
        "attributes": attributes,
        "event": event,
    }


def object_key(records: Sequence[SQSRecord], prefix: str = "events") -> str:
    sent_ms = min(int(record.attributes.sent_timestamp or 0) for record in records)
    day = datetime.fromtimestamp(sent_ms / 1000, UTC).strftime("%Y-%m-%d")
    batch_id = hashlib.sha256("\n".join(sorted(r.message_id for r in records)).encode()).hexdigest()[:32]
    return f"{prefix}/dt={day}/{batch_id}.ndjson"


class DataLake:
    def __init__(self, s3_client: Any, bucket: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket

    def write(self, records: Sequence[SQSRecord], lines: Sequence[dict[str, Any]]) -> str:
        key = object_key(records)
        body = "".join(json.dumps(line, separators=(",", ":"), sort_keys=True) + "\n" for line in lines)
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body.encode(), ContentType="application/x-ndjson")
        return key
