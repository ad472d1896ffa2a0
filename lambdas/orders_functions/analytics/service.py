"""Write each order event to the data lake once: one object per event id.

An event's object is ``events/dt=YYYY-MM-DD/<hash of the event id>.json``: the day (UTC) the
event occurred, and a hash of its deterministic ``event_id``. Both are the same on every
delivery of the event, however it is batched and however often SNS or order_processor repeat
it, so a repeat replaces the object instead of adding a second copy: the lake holds each event
id once, and a reader needs no deduplication. An order event without ``event_id`` gets its
deterministic one; any other message is keyed by its SNS message id, and occurs when SNS says it
was published. The lake keeps every event type, known or not.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from orders_functions.common.events import completed, unwrap

#: Where in the data lake bucket the events go (the stacks grant s3:PutObject under it alone).
PREFIX = "events"


def lake_line(record: SQSRecord) -> dict[str, Any]:
    """The event and what SNS and SQS said about it. Raises PoisonMessageError.

    An order event a producer sent without ``event_id`` gets the deterministic one it would have had
    (and ``occurred_at``, ``correlation_id``: :func:`orders_functions.common.events.completed`); anything else
    without an id is keyed by its message id.
    """
    delivery = unwrap(record)
    derived = completed(delivery)
    return {
        "event_id": str(derived.get("event_id") or f"sns:{delivery.message_id}"),
        "message_id": delivery.message_id,
        "published_at": delivery.published_at,
        "occurred_at": derived["occurred_at"],
        "event_type": delivery.attributes.get("event_type") or derived.get("event_type"),
        "attributes": delivery.attributes,
        "event": json.loads(delivery.text),  # as it was sent
    }


def _day(line: dict[str, Any], record: SQSRecord) -> str:
    for stamp in (line["occurred_at"], line["published_at"]):
        if isinstance(stamp, str):
            try:
                return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC).strftime("%Y-%m-%d")
            except ValueError:
                continue
    sent_ms = int(record.attributes.sent_timestamp or 0)
    return datetime.fromtimestamp(sent_ms / 1000, UTC).strftime("%Y-%m-%d")


def object_key(line: dict[str, Any], record: SQSRecord, prefix: str = PREFIX) -> str:
    digest = hashlib.sha256(line["event_id"].encode()).hexdigest()[:40]
    return f"{prefix}/dt={_day(line, record)}/{digest}.json"


class DataLake:
    def __init__(self, s3_client: Any, bucket: str, logger: Logger | None = None) -> None:
        self._s3 = s3_client
        self._bucket = bucket
        self._logger = logger

    def write(self, record: SQSRecord) -> dict[str, Any]:
        """Write ``record``'s event to its object; returns (and logs) the key and the event id."""
        line = lake_line(record)
        key = object_key(line, record)
        body = json.dumps(line, separators=(",", ":"), sort_keys=True) + "\n"
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body.encode(), ContentType="application/json")
        written = {"key": key, "event_id": line["event_id"], "correlation_id": line["event"].get("correlation_id")}
        if self._logger is not None:
            self._logger.info("event written", extra=written)
        return written
