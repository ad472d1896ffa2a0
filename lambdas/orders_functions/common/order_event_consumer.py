"""How the consumers of order events (payment, notification) read each record.

Per record: parse the order event (a poison message goes to the DLQ with the reason; a well-formed
event type the consumer does not handle, or an internal event where ``public_only``, is acknowledged
and counted), log with its correlation id, and apply it. The handler gives :meth:`OrderEventProcessor.process`
to its :class:`~orders_functions.common.consumer.Consumer`, and :meth:`OrderEventProcessor.already_done` to
its failure policy.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from orders_functions.common.events import NotHandledHere, OrderEvent, parse_order_event
from orders_functions.common.limits import ORDER_EVENT_TYPES
from orders_functions.common.readers import METRICS_NAMESPACE, count, count_unhandled

INTERNAL_EVENTS_SKIPPED = "InternalEventsSkipped"


@dataclass
class OrderEventProcessor:
    apply: Callable[[OrderEvent], dict[str, Any]]
    logger: Logger
    label: str
    #: True when the event's effect is already there: asked for a record out of attempts (see FailurePolicy).
    settled: Callable[[OrderEvent], bool] | None = None
    #: The event types this consumer acts on; others (well-formed) are acknowledged and counted.
    handled: Collection[str] = ORDER_EVENT_TYPES
    #: Internal events (the body or the ``internal`` attribute says so) are acknowledged, not applied.
    public_only: bool = False
    metrics: Metrics = field(default_factory=lambda: Metrics(namespace=METRICS_NAMESPACE))

    def already_done(self, record: SQSRecord) -> bool:
        """For a record out of attempts: its event's effect is there (``settled``), so it is not dead-lettered."""
        try:
            event = parse_order_event(record, self.handled)
        except Exception:
            return False
        return self.settled is not None and self.settled(event)

    def process(self, record: SQSRecord) -> dict[str, Any]:
        try:
            event = parse_order_event(record, self.handled)
        except NotHandledHere as unhandled:
            return count_unhandled(self.metrics, self.logger, unhandled.event_type)
        self.logger.append_keys(
            correlation_id=event.correlation_id, order_id=event.order_id, event_type=event.event_type
        )
        if self.public_only and event.internal:
            count(self.metrics, INTERNAL_EVENTS_SKIPPED)
            self.logger.info("internal event: not for this consumer, acknowledged", extra={"event_id": event.event_id})
            return {"event_id": event.event_id, "outcome": "internal_skipped"}
        result = self.apply(event)
        self.logger.info(self.label, extra=result)
        return result
