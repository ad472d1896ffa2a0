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

import json
from typing import Annotated, Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ConfigDict, PlainSerializer, ValidationError

from orders_common.errors import PoisonMessageError, describe_validation_error
from orders_common.limits import (
    CorrelationId,
    Currency,
    CustomerTier,
    EventId,
    Identifier,
    Money,
    Note,
    OrderEventType,
)

#: Money in the event body is a JSON number (11 digits at most, so a float carries it exactly),
#: so that body filters can compare it numerically; parsed, it is a Decimal with two places again.
Amount = Annotated[Money, PlainSerializer(float, return_type=float, when_used="json")]


class OrderEvent(BaseModel):
    """A stored state change of an order, as the services that react to it see it.

    ``event_id`` is deterministic (:func:`orders_common.limits.order_event_id`): every
    announcement of the same change carries the same id, so consumers deduplicate on it.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: EventId
    event_type: OrderEventType
    order_id: Identifier
    customer_id: Identifier
    customer_tier: CustomerTier = "standard"
    amount: Amount | None = None
    currency: Currency = "USD"
    occurred_at: str
    correlation_id: CorrelationId
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


def unwrap(record: SQSRecord) -> tuple[dict[str, Any], dict[str, str]]:
    """The event body and its attributes from an SQS record of a topic subscription.

    Works for raw message delivery (attributes are SQS message attributes) and for the SNS
    envelope (``{"Type": "Notification", "Message": ..., "MessageAttributes": ...}``).
    """
    try:
        body = json.loads(record.body or "")
    except json.JSONDecodeError as error:
        raise PoisonMessageError(f"body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise PoisonMessageError("body is not a JSON object")
    if body.get("Type") == "Notification" and "Message" in body:
        attributes = {name: value.get("Value", "") for name, value in (body.get("MessageAttributes") or {}).items()}
        try:
            inner = json.loads(body["Message"])
        except json.JSONDecodeError as error:
            raise PoisonMessageError(f"SNS message is not JSON: {error}") from None
        if not isinstance(inner, dict):
            raise PoisonMessageError("SNS message is not a JSON object")
        return inner, attributes
    attributes = {
        name: value.get("stringValue") or ""
        for name, value in (record.raw_event.get("messageAttributes") or {}).items()
    }
    return body, attributes


def parse_order_event(record: SQSRecord) -> OrderEvent:
    body, _ = unwrap(record)
    try:
        return OrderEvent.model_validate(body)
    except ValidationError as error:
        raise PoisonMessageError(f"invalid order event: {describe_validation_error(error)}") from None
