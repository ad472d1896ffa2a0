"""The order logic, free of Lambda and SQS: an order is an aggregate of the facts received about it.

Every message on ``order-processing`` is a fact about one order: it was placed, it was
cancelled, it was updated (``update_id``). The order's item in the orders table holds every fact
received, whatever their order of arrival, and a version; each fact is written once, with a
write conditional on the version read (optimistic concurrency), so a duplicate of any age finds
its fact there and changes nothing. A cancellation or an update that arrives before its order
is kept and takes effect when the order arrives: nothing waits on a queue for a predecessor.

What the order announces follows from the stored facts, never from the incoming message
(:func:`announcements`): each fact is one :class:`~orders_functions.common.events.OrderEvent` with a
deterministic id (:func:`~orders_functions.common.limits.order_event_id`), its content (customer, amount,
correlation id, time) read from the item. The item also remembers which event ids were
published to SNS and put on the bus, so a redelivery publishes only what is still pending; a
publish that succeeded just before a crash is repeated with the same id and the same content.
Nothing is announced until the order itself has arrived, and ``order.created`` always comes first.

:class:`OrderProcessor` is one record's whole effect: its fact stored (:class:`OrderStore`), then each
pending announcement sent and only then marked, so an event is never marked that was not sent.

Example:
    >>> created = OrderCreated(event_type="order.created", order_id="o-1", customer_id="c-1", total="10")
    >>> item = decide(None, created, correlation_id="corr-1", now="2026-12-01T10:00:00+00:00").item
    >>> [event.event_id for event in announcements(item)]
    ['o-1/order.created']
    >>> cancelled = OrderCancelled(event_type="order.cancelled", order_id="o-1")
    >>> item = decide(item, cancelled, correlation_id="corr-2", now="2026-12-01T10:05:00+00:00").item
    >>> [(event.event_id, str(event.amount)) for event in announcements(item)]
    [('o-1/order.created', '10.00'), ('o-1/order.cancelled', '10.00')]
    >>> decide(item, cancelled, correlation_id="corr-3", now="2026-12-01T11:00:00+00:00").outcome
    'already_cancelled'
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from botocore.exceptions import ClientError
from pydantic import TypeAdapter, ValidationError

from event_runtime.errors import PoisonMessageError, TransientError
from orders_functions.common.bus import BusPublisher
from orders_functions.common.errors import describe_validation_error, is_conditional_check_failure
from orders_functions.common.events import NotHandledHere, OrderEvent, OrderEventPublisher
from orders_functions.common.limits import MAX_UPDATES_PER_ORDER, CorrelationId, order_event_id
from orders_functions.common.readers import count_unhandled, event_type_of, note_unknown_fields
from orders_functions.order_processor.models import (
    ORDER_MESSAGE_TYPES,
    OrderCancelled,
    OrderCreated,
    OrderMessageType,
    order_message_adapter,
)

#: The order has arrived and is not cancelled / was cancelled / has not arrived yet (only later facts have).
CREATED = "CREATED"
CANCELLED = "CANCELLED"
AWAITING_ORDER = "AWAITING_ORDER"
#: Attempts to write a fact when other invocations keep changing the same order.
MAX_VERSION_CONFLICTS = 5
#: What must agree for a second order.created with the same order id to be the same order.
IDENTITY_FIELDS = ("customer_id", "total", "currency")
#: The item's marks: event ids published to order-events, and put on the orders bus.
PUBLISHED = "published"
PUT_ON_BUS = "put_on_bus"


def read_order_message(body: str | None) -> tuple[OrderMessageType, dict[str, Any]]:
    """The message in ``body`` and the JSON object it came from.

    Raises :class:`PoisonMessageError` saying what is wrong with it, or
    :class:`~orders_functions.common.events.NotHandledHere` for a well-formed event type order-processing does
    not act on. Fields it does not read are ignored.
    """
    if not body or not body.strip():
        raise PoisonMessageError("empty message body")
    try:
        data = json.loads(body, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise PoisonMessageError(f"invalid order message: body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise PoisonMessageError("invalid order message: body is not a JSON object")
    event_type = event_type_of(data)
    if event_type not in ORDER_MESSAGE_TYPES:
        raise NotHandledHere(event_type)
    try:
        return order_message_adapter.validate_python(data), data
    except ValidationError as error:
        raise PoisonMessageError(f"invalid order message: {describe_validation_error(error)}") from None


def parse_order_message(body: str | None) -> OrderMessageType:
    """The message in ``body``, or :class:`PoisonMessageError` saying what is wrong with it."""
    return read_order_message(body)[0]


@dataclass(frozen=True)
class Decision:
    """What a message does to an order: the outcome, and the new item (None: nothing to write)."""

    outcome: str
    item: dict[str, Any]
    changed: bool


def _status(item: dict[str, Any]) -> str:
    if "customer_id" not in item:
        return AWAITING_ORDER
    return CANCELLED if "cancelled_at" in item else CREATED


def from_before_versions(item: dict[str, Any]) -> dict[str, Any]:
    """An item written before orders kept facts (no ``version``), as facts that were all announced.

    That code stored the order's fields and ``status``, ``cancelled_at``/``cancel_reason`` for a
    cancellation, and only the last update (``last_update_id``, ``last_note``); it announced each
    of them when it stored it. So they become facts, marked as published (and order.created as put
    on the bus), and a late duplicate of any of them announces nothing.
    """
    if "version" in item:
        return item
    migrated = {**item, "version": 0, "created_seq": 1}
    if "cancelled_at" in item:
        migrated["cancelled_seq"] = 2
    if item.get("last_update_id"):
        migrated["updates"] = {
            item["last_update_id"]: {
                "note": item.get("last_note", ""),
                "internal": None,  # not kept then: any visibility matches
                "at": item.get("updated_at") or item.get("created_at", ""),
                "seq": 3,
            }
        }
    announced = {event.event_id for event in announcements(migrated)}
    migrated[PUBLISHED] = announced
    migrated[PUT_ON_BUS] = {order_event_id(item["order_id"], "order.created")} if "customer_id" in item else set()
    return migrated


def decide(current: dict[str, Any] | None, message: OrderMessageType, correlation_id: str, now: str) -> Decision:
    """The effect of ``message`` on the order ``current`` (its stored item, or None): pure, no I/O.

    Raises PoisonMessageError when the message contradicts a stored fact (an order placed again
    with another customer, total or currency; an update id reused with another note).
    """
    item = dict(from_before_versions(current) if current else {"order_id": message.order_id, "version": 0})
    sequence = int(item.get("version", 0)) + 1
    if isinstance(message, OrderCreated):
        if "customer_id" in item:
            stored = {name: item.get(name) for name in IDENTITY_FIELDS}
            incoming = {"customer_id": message.customer_id, "total": message.total, "currency": message.currency}
            if any(_differs(stored[name], incoming[name]) for name in IDENTITY_FIELDS):
                raise PoisonMessageError(
                    f"order {message.order_id} was already placed with different content "
                    f"(customer, total or currency): stored {_describe(stored)}, got {_describe(incoming)}"
                )
            return Decision("already_created", item, changed=False)
        item.update(
            customer_id=message.customer_id,
            customer_tier=message.customer_tier,
            total=message.total,
            currency=message.currency,
            items=[line.model_dump(mode="python") for line in message.items],
            created_at=now,
            correlation_id=correlation_id,
            created_seq=sequence,
        )
        outcome = "created_and_cancelled" if "cancelled_at" in item else "created"
    elif isinstance(message, OrderCancelled):
        if "cancelled_at" in item:
            return Decision("already_cancelled", item, changed=False)
        item.update(
            cancelled_at=now, cancel_reason=message.reason, cancel_correlation_id=correlation_id, cancelled_seq=sequence
        )
        outcome = "cancelled" if "customer_id" in item else "cancellation_kept_until_the_order_arrives"
    else:
        updates = dict(item.get("updates") or {})
        if message.update_id in updates:
            stored_update = updates[message.update_id]
            visibility = stored_update.get("internal")
            if stored_update["note"] != message.note or (
                visibility is not None and bool(visibility) != message.internal
            ):
                raise PoisonMessageError(
                    f"update {message.update_id} of order {message.order_id} was already recorded with a "
                    "different note or visibility"
                )
            return Decision("already_updated", item, changed=False)
        if len(updates) >= MAX_UPDATES_PER_ORDER:
            raise PoisonMessageError(
                f"order {message.order_id} already has {len(updates)} updates, the most one order keeps"
            )
        updates[message.update_id] = {
            "note": message.note,
            "internal": message.internal,
            "at": now,
            "correlation_id": correlation_id,
            "seq": sequence,
        }
        item["updates"] = updates
        outcome = "updated" if "customer_id" in item else "update_kept_until_the_order_arrives"
    item["version"] = sequence
    item["status"] = _status(item)
    return Decision(outcome, item, changed=True)


def _differs(stored: Any, incoming: Any) -> bool:
    if isinstance(incoming, Decimal):
        return stored is None or Decimal(str(stored)) != incoming
    return bool(stored != incoming)


def _describe(fields: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in fields.items())


def announcements(item: dict[str, Any]) -> list[OrderEvent]:
    """Every event the stored facts announce, in the order subscribers should see them.

    ``order.created`` first (nothing is announced before the order has arrived), then the other
    facts in the order they were stored.
    """
    if "customer_id" not in item:
        return []
    order_id = item["order_id"]
    common = {
        "order_id": order_id,
        "customer_id": item["customer_id"],
        "customer_tier": item.get("customer_tier", "standard"),
        "currency": item.get("currency", "USD"),
    }
    # Stored before the order, a cancellation means the order is never charged: its order.created says so,
    # the same on every announcement (the two facts' order of arrival never changes once both are stored).
    cancelled_first = "cancelled_at" in item and int(item.get("cancelled_seq", 0)) < int(item.get("created_seq", 0))
    created = OrderEvent(
        event_id=order_event_id(order_id, "order.created"),
        event_type="order.created",
        amount=item["total"],
        occurred_at=item["created_at"],
        correlation_id=_correlation_id(item),
        cancelled_before_placed=True if cancelled_first else None,
        **common,
    )
    later: list[tuple[int, OrderEvent]] = []
    if "cancelled_at" in item:
        cancelled = OrderEvent(
            event_id=order_event_id(order_id, "order.cancelled"),
            event_type="order.cancelled",
            amount=item["total"],
            occurred_at=item["cancelled_at"],
            correlation_id=item.get("cancel_correlation_id") or _correlation_id(item),
            **common,
        )
        later.append((int(item.get("cancelled_seq", 0)), cancelled))
    for update_id, update in (item.get("updates") or {}).items():
        updated = OrderEvent(
            event_id=order_event_id(order_id, "order.updated", update_id),
            event_type="order.updated",
            occurred_at=update["at"],
            correlation_id=update.get("correlation_id") or _correlation_id(item),
            internal=bool(update["internal"]),
            note=update["note"],
            **common,
        )
        later.append((int(update.get("seq", 0)), updated))
    return [created] + [event for _, event in sorted(later, key=lambda pair: (pair[0], pair[1].event_id))]


def order_created_detail(item: dict[str, Any]) -> dict[str, Any]:
    """The detail of the OrderCreated event on the orders bus, from the stored order.

    Schema: orders_functions/common/schemas/order_created.json. ``event_id`` is the id of the order.created
    event, the same on every put, so a consumer of the bus can deduplicate on it.
    """
    return {
        "event_id": order_event_id(item["order_id"], "order.created"),
        "order_id": item["order_id"],
        "customer_id": item["customer_id"],
        "customer_tier": item.get("customer_tier", "standard"),
        "total": float(item["total"]),
        "currency": item.get("currency", "USD"),
        "item_count": sum(int(line["quantity"]) for line in item.get("items") or []),
        "correlation_id": _correlation_id(item),
    }


def _correlation_id(item: dict[str, Any]) -> str:
    """The correlation id the order arrived with (orders stored before it was kept: their id)."""
    return str(item.get("correlation_id") or item["order_id"])


#: Attributes a fact write sets (the announcement marks are added apart, so they are never overwritten).
_FACT_ATTRIBUTES = (
    "version",
    "status",
    "customer_id",
    "customer_tier",
    "total",
    "currency",
    "items",
    "created_at",
    "correlation_id",
    "created_seq",
    "cancelled_at",
    "cancel_reason",
    "cancel_correlation_id",
    "cancelled_seq",
    "updates",
)


@dataclass(frozen=True)
class Applied:
    """The outcome of one message, and the order's item as it now stands."""

    outcome: str
    order: dict[str, Any]


class OrderStore:
    """Reads and writes the orders table: facts with optimistic concurrency, announcement marks apart."""

    def __init__(self, table: Any, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._table = table
        self._clock = clock

    def get(self, order_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key={"order_id": order_id}, ConsistentRead=True).get("Item")
        return None if item is None else dict(item)

    def apply(self, message: OrderMessageType, correlation_id: str) -> Applied:
        """Record ``message``'s fact once; returns the outcome and the order as stored after it."""
        for _ in range(MAX_VERSION_CONFLICTS):
            current = self.get(message.order_id)
            decision = decide(current, message, correlation_id, self._clock().isoformat())
            if not decision.changed:
                return Applied(decision.outcome, decision.item)
            try:
                stored = self._write(decision.item, current)
            except ClientError as error:
                if not is_conditional_check_failure(error):
                    raise
                continue  # another invocation changed the order meanwhile: decide again on what it wrote
            return Applied(decision.outcome, stored)
        raise TransientError(f"order {message.order_id} kept changing under {MAX_VERSION_CONFLICTS} attempts to write")

    def _write(self, item: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        """Write ``item``'s facts if the order is still as ``current`` was read."""
        attributes = list(_FACT_ATTRIBUTES)
        if current is not None and "version" not in current:  # its first write: the marks of what it announced
            attributes += [mark for mark in (PUBLISHED, PUT_ON_BUS) if item.get(mark)]
        names = {f"#{name}": name for name in attributes if name in item}
        values = {f":{name}": item[name] for name in attributes if name in item}
        if current is None:
            condition = "attribute_not_exists(order_id)"
        elif "version" not in current:  # an item written before orders had versions
            condition = "attribute_exists(order_id) AND attribute_not_exists(#version)"
        else:
            condition = "#version = :expected"
            values[":expected"] = current["version"]
        response = self._table.update_item(
            Key={"order_id": item["order_id"]},
            UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in attributes if name in item),
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return dict(response["Attributes"])

    def mark(self, order_id: str, mark: str, event_id: str) -> None:
        """Remember that ``event_id`` was announced (``mark``: PUBLISHED or PUT_ON_BUS)."""
        self._table.update_item(
            Key={"order_id": order_id},
            UpdateExpression="ADD #mark :event",
            ExpressionAttributeNames={"#mark": mark},
            ExpressionAttributeValues={":event": {event_id}},
        )


def pending(item: dict[str, Any], mark: str) -> list[OrderEvent]:
    """The announcements of ``item`` not yet marked ``mark``."""
    item = from_before_versions(item)
    done = set(item.get(mark) or ())
    return [event for event in announcements(item) if event.event_id not in done]


#: The message attribute a producer names the order's correlation id with.
CORRELATION_ATTRIBUTE = "correlation_id"
_correlation_ids: TypeAdapter[str] = TypeAdapter(CorrelationId)


def correlation_id_of(record: SQSRecord) -> str:
    """The correlation id the producer set, or a new one: this is where an order enters the system."""
    attribute = (record.raw_event.get("messageAttributes") or {}).get(CORRELATION_ATTRIBUTE) or {}
    return entry_correlation_id(attribute.get("stringValue"))


def entry_correlation_id(given: str | None) -> str:
    """``given``, or a new id when there is none.

    It travels in every event of the order, so one that could not (too long) is refused here, as poison.
    """
    if not given:
        return str(uuid.uuid4())
    try:
        return _correlation_ids.validate_python(given)
    except ValidationError as error:
        problem = error.errors(include_url=False)[0]["msg"]
        raise PoisonMessageError(f"correlation_id attribute: {problem}") from None


@dataclass
class OrderProcessor:
    """One ``order-processing`` record: its fact stored once, then what the stored order has not announced.

    Each pending event goes to the ``order-events`` topic, and order.created to the ``orders`` bus; each
    is marked in the order's item (PUBLISHED, PUT_ON_BUS) only once it is out, under its deterministic
    event id. So a duplicate of any age finds its fact stored and its events marked, and does nothing;
    a redelivery after a crash announces only what is still pending, with the same ids.
    """

    store: OrderStore
    publisher: OrderEventPublisher
    bus: BusPublisher
    logger: Logger
    metrics: Metrics

    def process(self, record: SQSRecord) -> dict[str, Any]:
        """Parse (poison raises PoisonMessageError), store, announce; a type not handled here is counted."""
        self.logger.remove_keys(["order_id", "event_type", "correlation_id"])
        try:
            message, data = read_order_message(record.body)
        except NotHandledHere as unhandled:
            return count_unhandled(self.metrics, self.logger, unhandled.event_type)
        note_unknown_fields(self.logger, data, type(message))
        correlation_id = correlation_id_of(record)
        self.logger.append_keys(order_id=message.order_id, event_type=message.event_type, correlation_id=correlation_id)
        applied = self.store.apply(message, correlation_id)
        announced = self.announce(applied.order)
        result = {"order_id": message.order_id, "outcome": applied.outcome, "announced": announced}
        self.logger.info("order applied", extra=result)
        return result

    def announce(self, order: dict[str, Any]) -> list[str]:
        """Publish what ``order`` has not announced yet, in order; returns the event ids sent now."""
        sent: list[str] = []
        for event in pending(order, PUBLISHED):
            self.publisher.publish(event)
            self.store.mark(event.order_id, PUBLISHED, event.event_id)
            sent.append(event.event_id)
        for event in pending(order, PUT_ON_BUS):
            if event.event_type != "order.created":
                continue
            # The orchestration half: high-value orders are routed to the workflow by the bus.
            self.bus.put_order_created(order_created_detail(order))
            self.store.mark(event.order_id, PUT_ON_BUS, event.event_id)
            sent.append(f"bus:{event.event_id}")
        return sent
