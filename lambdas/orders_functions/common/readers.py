"""Tolerant readers: what every consumer does before it looks at a message's content.

- **Unknown fields are ignored** (logged at debug): a producer that adds an optional field does not
  poison every message. What matters stays strict: ids, money, event types and timestamps fail
  with a reason naming the field (the models do that).
- **An event type is strict in its shape, tolerant in its name**: a missing or malformed
  ``event_type`` is poison; a well-formed one the consumer does not handle (``order.shipped``
  reaching a consumer through a prefix filter, or any type on a queue with no filter) is
  acknowledged and counted in the ``UnhandledEventTypes`` metric, which the dashboard shows.

Example:
    >>> event_type_of({"event_type": "order.shipped"})
    'order.shipped'
    >>> event_type_of({"event_type": "Order Shipped"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    event_runtime.errors.PoisonMessageError: event_type: 'Order Shipped' is not an event type (...)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel

from event_runtime.errors import PoisonMessageError
from orders_functions.common.limits import EVENT_TYPE_MAX_LENGTH, EVENT_TYPE_PATTERN

#: The CloudWatch namespace of the app's own metrics (Powertools Metrics, embedded metric format).
METRICS_NAMESPACE = "OrdersApp"
UNHANDLED_EVENT_TYPES = "UnhandledEventTypes"
_EVENT_TYPE = re.compile(EVENT_TYPE_PATTERN)


def event_type_of(body: Mapping[str, Any]) -> str:
    """The message's event type, well-formed; PoisonMessageError naming the field otherwise."""
    event_type = body.get("event_type")
    if event_type is None:
        raise PoisonMessageError("event_type: Field required")
    if not isinstance(event_type, str) or len(event_type) > EVENT_TYPE_MAX_LENGTH or not _EVENT_TYPE.match(event_type):
        raise PoisonMessageError(
            f"event_type: {event_type!r} is not an event type (dot-separated lower-case words, e.g. order.created)"
        )
    return event_type


def unknown_fields(body: Mapping[str, Any], model: type[BaseModel]) -> list[str]:
    """The top-level fields of ``body`` that ``model`` does not read (by name or alias)."""
    known = set(model.model_fields) | {f.alias for f in model.model_fields.values() if f.alias}
    return sorted(str(name) for name in body if name not in known)


def note_unknown_fields(logger: Logger, body: Mapping[str, Any], model: type[BaseModel]) -> None:
    ignored = unknown_fields(body, model)
    if ignored:
        logger.debug("ignored fields this reader does not know", extra={"ignored_fields": ignored})


def count(metrics: Metrics, name: str) -> None:
    """One count of ``name``, written at once (these are rare; an invocation that counts nothing writes nothing)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()


def count_unhandled(metrics: Metrics, logger: Logger, event_type: str) -> dict[str, Any]:
    """Acknowledge a well-formed event type this consumer does not handle: one count, one log line."""
    count(metrics, UNHANDLED_EVENT_TYPES)
    logger.info("event type not handled here: acknowledged", extra={"unhandled_event_type": event_type})
    return {"event_type": event_type, "outcome": "not_handled_here"}


def json_object(text: str, what: str = "body") -> dict[str, Any]:
    """``text`` as a JSON object whose numbers are exact (a Decimal, never a rounded float); else
    :class:`PoisonMessageError` naming ``what``.

    >>> json_object('{"amount": 10.0000000000000000001}')
    {'amount': Decimal('10.0000000000000000001')}
    """
    try:
        value = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise PoisonMessageError(f"{what} is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise PoisonMessageError(f"{what} is not a JSON object")
    return value
