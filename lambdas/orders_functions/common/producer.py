"""Send messages to SQS the way every producer of this app should.

- Every message carries ``event_type`` (String) and ``timestamp`` (Number, epoch ms) attributes.
- A resend (``retry`` > 0) to a standard queue is delayed ``min(900, 10 * 2**retry)`` seconds.
- FIFO sends need a message group id (the ordering key) and a deduplication id.
- Batch sends are chunked to SQS's limits (10 entries, 256 KiB); entries SQS fails are retried,
  and any entry that still fails raises :class:`BatchSendError` naming it: nothing is dropped silently.
- A message over 256 KiB (body plus attributes, as SQS counts them) is refused before anything is
  sent, with :class:`~orders_functions.common.errors.PayloadTooLargeError` saying which one and by how much.

Example:
    >>> import boto3
    >>> from moto import mock_aws
    >>> with mock_aws():
    ...     sqs = boto3.client("sqs", region_name="us-east-1")
    ...     url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    ...     producer = MessageProducer(url, sqs_client=sqs)
    ...     result = producer.send_batch([OutgoingMessage(body={"order_id": str(i)}, event_type="order.created")
    ...                                   for i in range(25)])
    ...     len(result.message_ids)
    25
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from event_runtime.backoff import retry_delay_seconds
from orders_functions.common.errors import PayloadTooLargeError

SQS_MAX_BATCH_ENTRIES = 10
SQS_MAX_PAYLOAD_BYTES = 256 * 1024


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode_body(body: Mapping[str, Any] | str) -> str:
    return body if isinstance(body, str) else json.dumps(body, default=_json_default, separators=(",", ":"))


def message_size(body: str, attributes: Mapping[str, Mapping[str, str]]) -> int:
    """The size SQS counts against its limit: the body, and each attribute's name, type and value (UTF-8)."""
    size = len(body.encode())
    for name, value in attributes.items():
        size += len(name.encode()) + len(value["DataType"].encode()) + len(value.get("StringValue", "").encode())
    return size


def check_size(body: str, attributes: Mapping[str, Mapping[str, str]], event_type: str) -> None:
    size = message_size(body, attributes)
    if size > SQS_MAX_PAYLOAD_BYTES:
        raise PayloadTooLargeError(
            f"{event_type} message is {size} bytes (body and attributes); "
            f"SQS accepts at most {SQS_MAX_PAYLOAD_BYTES} bytes: not sent"
        )


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to send. ``group_id`` and ``deduplication_id`` are for FIFO queues."""

    body: Mapping[str, Any] | str
    event_type: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    retry: int = 0
    group_id: str | None = None
    deduplication_id: str | None = None


@dataclass(frozen=True)
class FailedEntry:
    message: OutgoingMessage
    code: str
    reason: str
    sender_fault: bool


@dataclass
class BatchResult:
    message_ids: list[str] = field(default_factory=list)
    attempts: int = 0


class BatchSendError(Exception):
    """Some entries of a batch send could not be sent; ``failed`` names each one, with SQS's reason."""

    def __init__(self, failed: list[FailedEntry], sent: BatchResult) -> None:
        self.failed = failed
        self.sent = sent
        reasons = "; ".join(f"{entry.code}: {entry.reason}" for entry in failed[:5])
        super().__init__(f"{len(failed)} message(s) not sent ({reasons})")


class MessageProducer:
    """Sends to one queue (standard or FIFO, told by its URL)."""

    def __init__(
        self,
        queue_url: str,
        *,
        sqs_client: Any,
        max_attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self.queue_url = queue_url
        self.fifo = queue_url.endswith(".fifo")
        self._sqs = sqs_client
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._clock_ms = clock_ms

    def send(
        self,
        body: Mapping[str, Any] | str,
        *,
        event_type: str,
        attributes: Mapping[str, str] | None = None,
        retry: int = 0,
    ) -> str:
        """Send one message to a standard queue; returns its message id."""
        message = OutgoingMessage(body=body, event_type=event_type, attributes=attributes or {}, retry=retry)
        return str(self._sqs.send_message(QueueUrl=self.queue_url, **self._params(message))["MessageId"])

    def send_fifo(
        self,
        body: Mapping[str, Any] | str,
        *,
        event_type: str,
        group_id: str,
        deduplication_id: str,
        attributes: Mapping[str, str] | None = None,
    ) -> str:
        """Send one message to a FIFO queue, ordered within ``group_id``, deduplicated by ``deduplication_id``."""
        message = OutgoingMessage(
            body=body,
            event_type=event_type,
            attributes=attributes or {},
            group_id=group_id,
            deduplication_id=deduplication_id,
        )
        return str(self._sqs.send_message(QueueUrl=self.queue_url, **self._params(message))["MessageId"])

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> BatchResult:
        """Send all ``messages``; retry entries SQS failed on its side; raise if any still failed."""
        for message in messages:  # all or nothing: refuse an oversize batch before sending any of it
            self._params(message)
        result = BatchResult()
        failed: list[FailedEntry] = []
        for chunk in self._chunks(messages):
            failed.extend(self._send_chunk(chunk, result))
        if failed:
            raise BatchSendError(failed, result)
        return result

    def _send_chunk(self, chunk: list[OutgoingMessage], result: BatchResult) -> list[FailedEntry]:
        pending = dict(enumerate(chunk))
        permanent: list[FailedEntry] = []
        retryable: list[FailedEntry] = []
        for attempt in range(self._max_attempts):
            if attempt:
                self._sleep(min(5.0, 0.1 * 2**attempt))
            result.attempts += 1
            entries = [{"Id": str(index), **self._params(message)} for index, message in pending.items()]
            response = self._sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            for ok in response.get("Successful", []):
                result.message_ids.append(ok["MessageId"])
                pending.pop(int(ok["Id"]))
            retryable = []
            for bad in response.get("Failed", []):
                entry = FailedEntry(
                    message=pending[int(bad["Id"])],
                    code=bad.get("Code", "Unknown"),
                    reason=bad.get("Message", ""),
                    sender_fault=bool(bad.get("SenderFault")),
                )
                if entry.sender_fault:  # the request itself is wrong: resending cannot help
                    permanent.append(entry)
                    pending.pop(int(bad["Id"]))
                else:
                    retryable.append(entry)
            if not pending:
                break
        return permanent + retryable

    def _chunks(self, messages: Sequence[OutgoingMessage]) -> Iterator[list[OutgoingMessage]]:
        chunk: list[OutgoingMessage] = []
        size = 0
        for message in messages:
            message_size = len(encode_body(message.body).encode()) + sum(
                len(k) + len(v) for k, v in message.attributes.items()
            )
            if chunk and (len(chunk) == SQS_MAX_BATCH_ENTRIES or size + message_size > SQS_MAX_PAYLOAD_BYTES):
                yield chunk
                chunk, size = [], 0
            chunk.append(message)
            size += message_size
        if chunk:
            yield chunk

    def _params(self, message: OutgoingMessage) -> dict[str, Any]:
        attributes = {
            "event_type": {"DataType": "String", "StringValue": message.event_type},
            "timestamp": {"DataType": "Number", "StringValue": str(self._clock_ms())},
        }
        for name, value in message.attributes.items():
            attributes[name] = {"DataType": "String", "StringValue": value}
        params: dict[str, Any] = {"MessageBody": encode_body(message.body), "MessageAttributes": attributes}
        check_size(params["MessageBody"], attributes, message.event_type)
        if self.fifo:
            if not message.group_id or not message.deduplication_id:
                raise ValueError("a FIFO queue needs group_id and deduplication_id on every message")
            params["MessageGroupId"] = message.group_id
            params["MessageDeduplicationId"] = message.deduplication_id
        elif message.retry > 0:
            params["DelaySeconds"] = retry_delay_seconds(message.retry)
        return params
