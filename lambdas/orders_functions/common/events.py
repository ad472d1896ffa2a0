"""Order events on the ``order-events`` topic: the model, publishing with attributes, and unwrapping.

Subscribers filter on the message attributes set here:

- ``event_type`` (String), always;
- ``amount`` (Number), when the event has an amount;
- ``internal`` (String ``"true"``), only on internal events: absent otherwise, so that
  ``{"internal": [{"exists": false}]}`` selects public events;
- ``correlation_id`` (String), always.

The body is the event as JSON; ``schemas/order-event.schema.json`` is its JSON Schema.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ConfigDict, PlainSerializer, TypeAdapter, ValidationError

from event_runtime.errors import PoisonMessageError
from orders_functions.common.errors import describe_validation_error
from orders_functions.common.limits import (
    MONEY_NUMBER_READER_RULE,
    ORDER_EVENT_TYPES,
    CorrelationId,
    Currency,
    CustomerTier,
    EventId,
    Identifier,
    Money,
    Note,
    OrderEventType,
    Timestamp,
    order_event_id,
)
from orders_functions.common.readers import event_type_of, json_object

#: Money in the event body is a JSON number (11 digits at most, so a float carries it exactly),
#: so that body filters can compare it numerically; parsed, it is a Decimal with two places again.
Amount = Annotated[Money, PlainSerializer(float, return_type=float, when_used="json")]


#: What a reader derives when a producer leaves it out (:func:`completed`).
DERIVED_FIELDS = ("event_id", "occurred_at", "correlation_id")


#: What readers refuse that JSON Schema cannot state (the schema lists them as ``x-reader-rules``).
ORDER_EVENT_READER_RULES = (
    MONEY_NUMBER_READER_RULE,
    "an event is internal when an 'internal' message attribute is present, whatever the body says",
)


def _derived_are_optional(schema: dict[str, Any]) -> None:
    """The readers' contract: the fields they derive are not required of a producer, but an
    ``order.updated`` without ``event_id`` needs ``update_id`` (its id is derived from it)."""
    schema["required"] = [name for name in schema.get("required", []) if name not in DERIVED_FIELDS]
    schema["if"] = {"properties": {"event_type": {"const": "order.updated"}}, "required": ["event_type"]}
    schema["then"] = {"anyOf": [{"required": ["event_id"]}, {"required": ["update_id"]}]}
    schema["x-reader-rules"] = list(ORDER_EVENT_READER_RULES)


class OrderEvent(BaseModel):
    """A stored state change of an order, as the services that react to it see it.

    ``event_id`` is deterministic (:func:`orders_functions.common.limits.order_event_id`): every
    announcement of the same change carries the same id, so consumers deduplicate on it.
    order_processor always sends ``event_id``, ``occurred_at`` and ``correlation_id``; a reader
    derives them when another producer leaves them out (the schema says so).
    """

    model_config = ConfigDict(extra="ignore", frozen=True, json_schema_extra=_derived_are_optional)

    event_id: EventId
    event_type: OrderEventType
    order_id: Identifier
    customer_id: Identifier
    customer_tier: CustomerTier = "standard"
    amount: Amount | None = None
    currency: Currency = "USD"
    occurred_at: Timestamp
    correlation_id: CorrelationId
    #: An order.updated's own id (the last part of its event id): needed when ``event_id`` is not sent.
    update_id: Identifier | None = None
    internal: bool = False
    note: Note | None = None
    #: On order.created only, and only when true: the order's cancellation was stored before the order
    #: itself (it arrived first), so the order is never to be charged. Absent otherwise.
    cancelled_before_placed: bool | None = None


def message_attributes(event: OrderEvent) -> dict[str, dict[str, str]]:
    """The SNS message attributes subscribers filter on."""
    attributes = {
        "event_type": {"DataType": "String", "StringValue": event.event_type},
        "correlation_id": {"DataType": "String", "StringValue": event.correlation_id},
    }
    if event.amount is not None:
        attributes["amount"] = {"DataType": "Number", "StringValue": str(event.amount)}
    if event.internal:
        attributes["internal"] = {"DataType": "String", "StringValue": "true"}
    return attributes


class OrderEventPublisher:
    def __init__(self, sns_client: Any, topic_arn: str) -> None:
        self._sns = sns_client
        self._topic_arn = topic_arn

    def publish(self, event: OrderEvent) -> str:
        response = self._sns.publish(
            TopicArn=self._topic_arn,
            Message=event.model_dump_json(exclude_none=True),
            MessageAttributes=message_attributes(event),
        )
        return str(response["MessageId"])


class NotHandledHere(Exception):  # noqa: N818 (not an error: a routed event this consumer has no use for)
    """A well-formed event type the consumer does not handle: acknowledged and counted, never dead-lettered."""

    def __init__(self, event_type: str) -> None:
        super().__init__(event_type)
        self.event_type = event_type


@dataclass(frozen=True)
class Delivery:
    """An order event as a subscriber queue holds it: the body, the attributes, and what SNS and SQS add."""

    body: dict[str, Any]
    attributes: dict[str, str]
    message_id: str
    published_at: str
    #: The body as the producer wrote it (numbers in ``body`` are exact Decimals).
    text: str


def _is_sns_envelope(body: dict[str, Any]) -> bool:
    """SNS's JSON envelope, not an event that happens to have fields named like it (readers ignore
    unknown fields, so ``Type`` or ``Message`` alone decide nothing): an envelope has SNS's fields
    and never an ``event_type`` of its own."""
    return (
        body.get("Type") == "Notification"
        and isinstance(body.get("Message"), str)
        and isinstance(body.get("TopicArn"), str)
        and isinstance(body.get("MessageId"), str)
        and "event_type" not in body
    )


def unwrap(record: SQSRecord) -> Delivery:
    """The event body, its attributes and its delivery's id and time from an SQS record of a topic subscription.

    Works for raw message delivery (attributes are SQS message attributes; the message id and time
    are SQS's) and for the SNS envelope (``{"Type": "Notification", "TopicArn", "Message": ..., "MessageId",
    "Timestamp", "MessageAttributes"}``).
    """
    text = record.body or ""
    body = json_object(text, "body")
    if _is_sns_envelope(body):
        attributes = {name: value.get("Value", "") for name, value in (body.get("MessageAttributes") or {}).items()}
        inner = json_object(body["Message"], "SNS message")
        return Delivery(
            inner,
            attributes,
            str(body.get("MessageId") or record.message_id),
            _published_at(body, record),
            body["Message"],
        )
    attributes = {
        name: value.get("stringValue") or ""
        for name, value in (record.raw_event.get("messageAttributes") or {}).items()
    }
    return Delivery(body, attributes, record.message_id, _published_at({}, record), text)


def _published_at(envelope: dict[str, Any], record: SQSRecord) -> str:
    stamp = envelope.get("Timestamp")
    if isinstance(stamp, str) and stamp:
        return stamp
    sent_ms = int(record.attributes.sent_timestamp or 0)
    return datetime.fromtimestamp(sent_ms / 1000, UTC).isoformat()


def completed(delivery: Delivery) -> dict[str, Any]:
    """The event with what a producer may leave out derived, so that it is processed once all the same.

    - ``event_id``: the deterministic id of the change (:func:`orders_functions.common.limits.order_event_id`),
      from ``order_id``, ``event_type`` and, for an update, ``update_id``;
    - ``occurred_at``: when SNS published it (its ``Timestamp``; with raw message delivery, when SQS
      received it);
    - ``correlation_id``: the ``correlation_id`` attribute, else the message id.

    An event is internal when its body says so or it has an ``internal`` attribute (whatever its value:
    the subscription filters exclude an event with the attribute). Raises PoisonMessageError for an
    ``order.updated`` with neither ``event_id`` nor ``update_id``: no id could be derived for it.
    """
    event = {name: value for name, value in delivery.body.items() if value is not None}  # null: not sent
    event_type, order_id = event.get("event_type"), event.get("order_id")
    if "event_id" not in event and isinstance(order_id, str) and isinstance(event_type, str):
        update_id = event.get("update_id")
        if event_type != "order.updated":
            event["event_id"] = order_event_id(order_id, event_type)
        elif update_id is not None:
            try:  # the id is derived from it: strict, and the reason names the field the producer sent
                update_id = _identifier.validate_python(update_id)
            except ValidationError as error:
                raise PoisonMessageError(f"update_id: {error.errors(include_url=False)[0]['msg']}") from None
            event["event_id"] = order_event_id(order_id, event_type, update_id)
    event.setdefault("occurred_at", delivery.published_at)
    event.setdefault("correlation_id", delivery.attributes.get("correlation_id") or delivery.message_id)
    if "internal" in delivery.attributes:  # internal if the body says so, or the attribute is there at all
        event["internal"] = True  # (the filters exclude an event with the attribute, whatever its value)
    if event_type == "order.updated" and "event_id" not in event and not isinstance(event.get("update_id"), str):
        raise PoisonMessageError("update_id: Field required (an order.updated without event_id needs it)")
    return event


_identifier: TypeAdapter[str] = TypeAdapter(Identifier)


def parse_order_event(record: SQSRecord, handled: Collection[str] = ORDER_EVENT_TYPES) -> OrderEvent:
    """The order event of ``record``: PoisonMessageError naming the field when it is malformed,
    NotHandledHere when its (well-formed) type is not one of ``handled``."""
    delivery = unwrap(record)
    event_type = event_type_of(delivery.body)
    if event_type not in handled:
        raise NotHandledHere(event_type)
    try:
        return OrderEvent.model_validate(completed(delivery))
    except ValidationError as error:
        raise PoisonMessageError(f"invalid order event: {describe_validation_error(error)}") from None
