"""Put events on the orders bus: validated against their schema, with per-entry failure handling.

PutEvents can accept a request and still fail some entries (``FailedEntryCount``). Failed
entries are retried with backoff; any that still fail raise :class:`PutEventsError` naming
each one, so nothing is dropped silently. An event over EventBridge's 256 KB entry limit is
refused before any is put, with :class:`~orders_functions.common.errors.PayloadTooLargeError`. Events are
put in requests of at most 10 entries whose sizes add up to at most 256 KB, the two limits of one
PutEvents request, each entry sized as EventBridge sizes it ("Calculating PutEvents event entry
size" in the EventBridge User Guide: Time 14 bytes, then the UTF-8 bytes of Source, DetailType,
Detail and each of Resources).

Example:
    >>> big, small = BusEvent("Big", {"pad": "x" * 200_000}), BusEvent("Small", {})
    >>> [len(request) for request in requests([big, small, big, small])]
    [2, 2]
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import fastjsonschema
from aws_lambda_powertools.utilities.validation.exceptions import SchemaValidationError
from pydantic import BaseModel, ConfigDict, Field

from orders_functions.common.errors import PayloadTooLargeError
from orders_functions.common.limits import MONEY_MAX, CorrelationId, Currency, CustomerTier, EventId, Identifier

ORDERS_SOURCE = "com.myapp.orders"
ORDER_CREATED = "OrderCreated"
#: The JSON Schema of OrderCreated's detail, generated from OrderCreatedDetail (draft 4, the registry's type).
ORDER_CREATED_SCHEMA = Path(__file__).resolve().parent / "schemas" / "order_created.json"
PUT_EVENTS_MAX_ENTRIES = 10
#: EventBridge's limit on one PutEvents entry, and on the entries of one request together (UTF-8 bytes).
PUT_EVENTS_MAX_ENTRY_BYTES = 256 * 1024
PUT_EVENTS_MAX_REQUEST_BYTES = PUT_EVENTS_MAX_ENTRY_BYTES
#: Entries failing with these codes may pass on a retry; others (a malformed entry) will not.
RETRYABLE_CODES = frozenset({"ThrottlingException", "InternalFailure", "InternalException", "ServiceUnavailable"})


class OrderCreatedDetail(BaseModel):
    """The detail of an OrderCreated event on the orders bus (source ``com.myapp.orders``).

    The one source of its schema: ``orders_functions/common/schemas/order_created.json`` is generated from this
    model (``python schemas/generate.py``); the producer validates against that file before PutEvents
    and the schema registry holds it. Readers ignore fields they do not know; ``correlation_id`` may be
    absent (the flow then runs without one).
    """

    model_config = ConfigDict(extra="ignore", title="OrderCreated")

    event_id: EventId | None = None
    order_id: Identifier
    customer_id: Identifier
    customer_tier: CustomerTier
    total: Annotated[float, Field(ge=0, le=float(MONEY_MAX))]
    currency: Currency
    item_count: Annotated[int, Field(ge=0)] = 0
    correlation_id: CorrelationId | None = None


@cache
def order_created_schema() -> dict[str, Any]:
    return dict(json.loads(ORDER_CREATED_SCHEMA.read_text()))


@cache
def _order_created_validator() -> Callable[[Any], Any]:
    """The schema compiled once per process (compiling it per event was about 30 % of a handler's CPU)."""
    return fastjsonschema.compile(order_created_schema())


def validate_order_created(detail: Mapping[str, Any]) -> None:
    """Raise Powertools' SchemaValidationError, as its ``validate`` would, when ``detail`` breaks the schema."""
    try:
        _order_created_validator()(dict(detail))
    except fastjsonschema.JsonSchemaValueException as error:
        raise SchemaValidationError(
            f"Failed schema validation. Error: {error.message}, Path: {error.path}, Data: {error.value}",
            validation_message=error.message,
            name=error.name,
            path=error.path,
            value=error.value,
            definition=error.definition,
            rule=error.rule,
            rule_definition=error.rule_definition,
        ) from None


@dataclass(frozen=True)
class BusEvent:
    detail_type: str
    detail: Mapping[str, Any]
    source: str = ORDERS_SOURCE


def _entry(event: BusEvent, bus_name: str = "") -> dict[str, Any]:
    return {
        "EventBusName": bus_name,
        "Source": event.source,
        "DetailType": event.detail_type,
        "Detail": json.dumps(event.detail, separators=(",", ":")),
    }


def entry_size(entry: Mapping[str, Any]) -> int:
    """The size EventBridge counts for one PutEvents entry."""
    size = 14 if entry.get("Time") is not None else 0
    size += sum(len(str(entry[field]).encode()) for field in ("Source", "DetailType", "Detail") if field in entry)
    return size + sum(len(resource.encode()) for resource in entry.get("Resources") or ())


def requests(events: Sequence[BusEvent]) -> list[list[BusEvent]]:
    """``events`` in order, cut into requests within both limits of PutEvents (entries and total size)."""
    cut: list[list[BusEvent]] = []
    size = 0
    for event in events:
        event_size = entry_size(_entry(event))
        if not cut or len(cut[-1]) == PUT_EVENTS_MAX_ENTRIES or size + event_size > PUT_EVENTS_MAX_REQUEST_BYTES:
            cut.append([])
            size = 0
        cut[-1].append(event)
        size += event_size
    return cut


class PutEventsError(Exception):
    def __init__(self, failed: list[tuple[BusEvent, str, str]]) -> None:
        self.failed = failed
        reasons = "; ".join(f"{code}: {message}" for _, code, message in failed[:5])
        super().__init__(f"{len(failed)} event(s) not put on the bus ({reasons})")


class BusPublisher:
    def __init__(
        self,
        events_client: Any,
        bus_name: str,
        *,
        max_attempts: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._events = events_client
        self._bus_name = bus_name
        self._max_attempts = max_attempts
        self._sleep = sleep

    def put_order_created(self, detail: Mapping[str, Any]) -> list[str]:
        validate_order_created(detail)
        return self.put([BusEvent(ORDER_CREATED, detail)])

    def put(self, events: Sequence[BusEvent]) -> list[str]:
        """Put ``events``; returns their event ids. Raises PutEventsError for entries that still fail."""
        for event in events:  # all or nothing: refuse before putting any
            self._check_size(event)
        event_ids: list[str] = []
        failed: list[tuple[BusEvent, str, str]] = []
        for request in requests(events):
            chunk_ids, chunk_failed = self._put_chunk(request)
            event_ids += chunk_ids
            failed += chunk_failed
        if failed:
            raise PutEventsError(failed)
        return event_ids

    def _put_chunk(self, pending: list[BusEvent]) -> tuple[list[str], list[tuple[BusEvent, str, str]]]:
        event_ids: list[str] = []
        permanent: list[tuple[BusEvent, str, str]] = []
        retryable: list[tuple[BusEvent, str, str]] = []
        for attempt in range(self._max_attempts):
            if attempt:
                self._sleep(min(5.0, 0.2 * 2**attempt))
            response = self._events.put_events(Entries=[self._entry(event) for event in pending])
            retryable = []
            for event, result in zip(pending, response["Entries"], strict=True):
                code = result.get("ErrorCode")
                if not code:
                    event_ids.append(result["EventId"])
                elif code in RETRYABLE_CODES:
                    retryable.append((event, code, result.get("ErrorMessage", "")))
                else:  # a malformed entry: resending it cannot help
                    permanent.append((event, code, result.get("ErrorMessage", "")))
            if not retryable:
                break
            pending = [event for event, _, _ in retryable]
        return event_ids, permanent + retryable

    def _check_size(self, event: BusEvent) -> None:
        size = entry_size(self._entry(event))
        if size > PUT_EVENTS_MAX_ENTRY_BYTES:
            raise PayloadTooLargeError(
                f"{event.detail_type} event is {size} bytes (source, detail-type and detail); "
                f"EventBridge accepts at most {PUT_EVENTS_MAX_ENTRY_BYTES} bytes per entry: not put"
            )

    def _entry(self, event: BusEvent) -> dict[str, Any]:
        return _entry(event, self._bus_name)
