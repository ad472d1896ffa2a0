"""SQS event source mappings that poll as Lambda does. moto's mapping pushes one record per invoke,
only when a message is sent, and ignores ``batchItemFailures``, so retries, partial batch failures and
the DLQ after ``maxReceiveCount`` never happen.

Here each mapping gets a poller thread that, like Lambda's: receives up to the batch size (waiting
up to ``MaximumBatchingWindowInSeconds`` to fill a batch), invokes the function once with the whole
batch, deletes the records that succeeded, and leaves the rest on the queue, where their receive
count grows and the queue's redrive policy moves them to the DLQ. A failed invocation (error or
timeout) leaves the whole batch. FIFO order comes from the queue: SQS does not hand out a message
group's next message while one is in flight, so one batch per group is in flight at a time.

Invocations run concurrently, as Lambda's do: each mapping has as many pollers as it may have
invocations at once (:func:`poller_count`: the mapping's ``ScalingConfig.MaximumConcurrency``, the
function's reserved concurrency, and the local cap ``LOCALCLOUD_MAX_CONCURRENCY``, whichever is
least), each receiving and invoking on its own. Receives and deletes on one queue are serialised
(moto's SQS backend is not safe for concurrent receives); the invocations are not.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from unittest import mock

from moto.awslambda.models import EventSourceMapping, LambdaBackend, LambdaFunction, lambda_backends
from moto.utilities.arns import parse_arn

from localcloud.compat.lambda_runtime import concurrency_limit
from localcloud.settings import LocalCloudSettings

GAP = "moto's SQS event source mapping sends one record per invoke, on send only, ignoring batchItemFailures"

logger = logging.getLogger("localcloud.event_source")
#: The pollers' name as the operating system shows their threads (benchmarks attribute CPU by it).
POLLER_THREAD_NAME = "esm-poller"
#: One lock per queue ARN around moto's receive and delete (its queue state has no lock of its own).
_queue_locks: dict[str, threading.Lock] = {}
_queue_locks_lock = threading.Lock()


def queue_lock(queue_arn: str) -> threading.Lock:
    with _queue_locks_lock:
        return _queue_locks.setdefault(queue_arn, threading.Lock())


def poller_count(mapping: EventSourceMapping, function: LambdaFunction, settings: LocalCloudSettings) -> int:
    """How many invocations a mapping may have at once here (one poller each): as many as its function
    may run (:func:`~localcloud.compat.lambda_runtime.concurrency_limit`), at most its MaximumConcurrency.

    >>> from types import SimpleNamespace
    >>> local, unreserved = LocalCloudSettings(max_concurrency=3), SimpleNamespace(reserved_concurrency=None)
    >>> poller_count(SimpleNamespace(scaling_config={"MaximumConcurrency": 2}), unreserved, local)
    2
    >>> poller_count(SimpleNamespace(scaling_config=None), SimpleNamespace(reserved_concurrency=1), local)
    1
    """
    limit = concurrency_limit(function, settings)
    maximum = (mapping.scaling_config or {}).get("MaximumConcurrency")
    return min(limit, int(maximum)) if maximum else limit


RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "MessageGroupId",
    "MessageDeduplicationId",
    "SequenceNumber",
)


def _record_attribute(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "dataType": value["DataType"],
        "stringValue": value.get("StringValue"),
        "binaryValue": value.get("BinaryValue"),
        "stringListValues": [],
        "binaryListValues": [],
    }


def lambda_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """An SQS message as a record of the event Lambda passes to the function."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {k: v for k, v in message.get("Attributes", {}).items() if k in RECORD_ATTRIBUTES},
        "messageAttributes": {k: _record_attribute(v) for k, v in message.get("MessageAttributes", {}).items()},
        "md5OfBody": hashlib.md5(message["Body"].encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": parse_arn(queue_arn).region,
    }


def failed_message_ids(response: Any, message_ids: list[str], reports_item_failures: bool) -> list[str]:
    """The records to leave on the queue after a successful invocation (Lambda's rules).

    >>> failed_message_ids({"batchItemFailures": [{"itemIdentifier": "b"}]}, ["a", "b"], True)
    ['b']
    >>> failed_message_ids({"batchItemFailures": [{"itemIdentifier": "zz"}]}, ["a", "b"], True)
    ['a', 'b']
    >>> failed_message_ids(None, ["a"], True)
    []
    """
    if not reports_item_failures or not response:
        return []
    try:
        failed = [item["itemIdentifier"] for item in response.get("batchItemFailures") or []]
    except (AttributeError, KeyError, TypeError):
        return list(message_ids)  # a malformed response fails the whole batch
    if any(not identifier or identifier not in message_ids for identifier in failed):
        return list(message_ids)
    return [m for m in message_ids if m in failed]


def _as_received(message: Any) -> dict[str, Any]:
    """A moto message as ReceiveMessage returns it (system attributes included)."""
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": message.sender_id,
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if message.group_id is not None:
        attributes["MessageGroupId"] = message.group_id
    if message.deduplication_id is not None:
        attributes["MessageDeduplicationId"] = message.deduplication_id
    if message.sequence_number is not None:
        attributes["SequenceNumber"] = message.sequence_number
    return {
        "MessageId": message.id,
        "ReceiptHandle": message.receipt_handle,
        "Body": message.body,
        "Attributes": attributes,
        "MessageAttributes": message.message_attributes or {},
    }


class Poller(threading.Thread):
    """One mapping's poller. It calls moto's SQS backend in process (the code the SQS API runs) rather
    than the HTTP API: same receive counts, visibility and redrive, without the server's request cost."""

    def __init__(
        self, mapping: EventSourceMapping, settings: LocalCloudSettings, stopping: threading.Event, number: int = 0
    ) -> None:
        super().__init__(name=f"esm-{mapping.uuid}-{number}", daemon=True)
        self.mapping = mapping
        self.settings = settings
        self.stopping = stopping
        arn = parse_arn(mapping.event_source_arn)
        self.queue_arn = mapping.event_source_arn
        self.queue_name = arn.resource_id
        self.account, self.region = arn.account, arn.region
        self.invocations = 0
        self.lock = queue_lock(self.queue_arn)

    @property
    def sqs(self) -> Any:
        from moto.sqs.models import sqs_backends

        return sqs_backends[self.account][self.region]

    def _alive(self) -> bool:
        backend = lambda_backends[self.mapping.account_id][self.mapping.region]
        return not self.stopping.is_set() and self.mapping.uuid in backend._event_source_mappings

    def _receive(self) -> list[dict[str, Any]]:
        batch_size = int(self.mapping.batch_size or 10)
        deadline = time.monotonic() + self.settings.scaled(float(self.mapping.max_batch_window or 0))
        visibility = self.sqs.get_queue(self.queue_name).visibility_timeout
        messages: list[dict[str, Any]] = []
        while len(messages) < batch_size:
            with self.lock:
                got = self.sqs.receive_message(
                    self.queue_name, min(10, batch_size - len(messages)), 0, visibility, ["All"]
                )
                messages.extend(_as_received(m) for m in got)
            if not got and (not messages or time.monotonic() >= deadline):
                break
            if got and time.monotonic() >= deadline:
                break
            if not got:
                self.stopping.wait(self.settings.poll_interval_seconds)
        return messages

    def poll_once(self) -> int:
        """One receive-invoke-delete round; the number of records passed to the function."""
        if not self.mapping.enabled:
            return 0
        messages = self._receive()
        if not messages:
            return 0
        backend: LambdaBackend = lambda_backends[self.mapping.account_id][self.mapping.region]
        function = backend.get_function(self.mapping.function_arn)
        event = {"Records": [lambda_record(m, self.queue_arn) for m in messages]}
        payload, errored, _ = function._invoke_lambda(event)  # type: ignore[arg-type]  # ours takes the event
        self.invocations += 1
        ids = [m["MessageId"] for m in messages]
        if errored:
            logger.warning("%s failed on a batch of %d: %s", function.function_name, len(ids), payload[:500])
            return len(ids)
        reports = "ReportBatchItemFailures" in (self.mapping.function_response_types or [])
        failed = set(failed_message_ids(json.loads(payload), ids, reports))
        done = [m for m in messages if m["MessageId"] not in failed]
        with self.lock:
            for message in done:
                self.sqs.delete_message(self.queue_name, message["ReceiptHandle"])
        return len(ids)

    def run(self) -> None:
        with contextlib.suppress(OSError):  # Linux: name the thread where the OS (and /proc) can see it
            Path(f"/proc/self/task/{threading.get_native_id()}/comm").write_text(POLLER_THREAD_NAME)
        while self._alive():
            try:
                if not self.poll_once():
                    self.stopping.wait(self.settings.poll_interval_seconds)
            except Exception:
                logger.exception("event source mapping %s", self.mapping.uuid)
                self.stopping.wait(1)


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    stopping = threading.Event()
    stack.callback(stopping.set)
    original = LambdaBackend.create_event_source_mapping

    def create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]) -> EventSourceMapping:
        from moto.sqs.models import sqs_backends

        mapping = original(self, spec)
        if parse_arn(mapping.event_source_arn).service != "sqs":
            return mapping
        for queue in sqs_backends[self.account_id][self.region_name].queues.values():
            if queue.queue_arn == mapping.event_source_arn:
                queue.lambda_event_source_mappings.pop(mapping.function_arn, None)  # no push on send
        function = self.get_function(mapping.function_arn)
        for number in range(poller_count(mapping, function, settings)):
            Poller(mapping, settings, stopping, number).start()
        return mapping

    stack.enter_context(mock.patch.object(LambdaBackend, "create_event_source_mapping", create_event_source_mapping))
