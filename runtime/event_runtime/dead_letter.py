"""Put a message a handler gives up on into its DLQ, with the reason attached.

SQS moves a message to the DLQ by itself after ``maxReceiveCount`` receives, but it records
no reason. A handler that knows why a message cannot succeed (a poison message) or is on its
last attempt sends it to the DLQ itself with these message attributes:

- ``failure_reason``: what went wrong, in one line;
- ``failure_kind``: ``poison`` or ``exhausted`` (retries used up);
- ``source_queue_arn``, ``original_message_id``, ``receive_count`` and, where counted, ``attempts``.

The original message attributes are kept too, as far as SQS's limit of 10 allows.

The copy is the original body and attributes plus the failure attributes, which never take more
than :data:`FAILURE_ATTRIBUTES_MAX_BYTES` (the reason is cut to :data:`MAX_REASON_BYTES`). So a DLQ
whose maximum message size is that much larger than its work queue's always takes the copy:
``EventQueue`` gives its work queue a maximum :data:`FAILURE_ATTRIBUTES_MAX_BYTES` below the DLQ's.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from event_runtime.attempts import receive_count
from event_runtime.text import escape_uncarriable

SQS_MAX_MESSAGE_ATTRIBUTES = 10
#: The reason's UTF-8 bytes at most (cut at a character boundary).
MAX_REASON_BYTES = 1024
#: What the failure attributes add to a message at most (names, types and values, as SQS counts them).
FAILURE_ATTRIBUTES_MAX_BYTES = 4096


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, at a character boundary."""
    return text.encode()[:limit].decode(errors="ignore")


def failure_attributes(
    record: SQSRecord, reason: str, kind: str, attempts: int | None = None
) -> dict[str, dict[str, str]]:
    """The DLQ message attributes: failure details first, then the original ones that fit."""
    attributes: dict[str, dict[str, str]] = {
        # A reason may quote the message (a field name, say) with characters SQS refuses: escaped, it always fits.
        "failure_reason": {
            "DataType": "String",
            "StringValue": _cut(escape_uncarriable(reason), MAX_REASON_BYTES) or "unknown",
        },
        "failure_kind": {"DataType": "String", "StringValue": kind},
        "source_queue_arn": {"DataType": "String", "StringValue": _cut(record.event_source_arn or "unknown", 1024)},
        "original_message_id": {"DataType": "String", "StringValue": _cut(record.message_id, 128)},
        "receive_count": {"DataType": "Number", "StringValue": str(receive_count(record))},
    }
    if attempts is not None:
        attributes["attempts"] = {"DataType": "Number", "StringValue": str(attempts)}
    for name, value in (record.raw_event.get("messageAttributes") or {}).items():
        if len(attributes) >= SQS_MAX_MESSAGE_ATTRIBUTES or name in attributes:
            continue
        data_type = value.get("dataType") or value.get("DataType") or "String"
        string_value = value.get("stringValue") or value.get("StringValue")
        if string_value is not None:
            attributes[name] = {"DataType": data_type, "StringValue": string_value}
    return attributes


def dead_letter(
    sqs_client: Any,
    dead_letter_queue_url: str,
    record: SQSRecord,
    reason: str,
    kind: str,
    attempts: int | None = None,
) -> str:
    """Send ``record`` to the DLQ with the reason; returns the DLQ message id.

    Raises whatever SQS raises: the caller must then leave the record on its queue (report it
    failed), so the message is never lost.
    """
    params: dict[str, Any] = {
        "QueueUrl": dead_letter_queue_url,
        "MessageBody": record.body or "",
        "MessageAttributes": failure_attributes(record, reason, kind, attempts),
    }
    if dead_letter_queue_url.endswith(".fifo"):
        params["MessageGroupId"] = record.attributes.message_group_id or "dead-letter"
        params["MessageDeduplicationId"] = record.message_id
    response = sqs_client.send_message(**params)
    return str(response["MessageId"])
