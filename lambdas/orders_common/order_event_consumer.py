"""The shell shared by the consumers of order events (payment, notification).

Per record: parse the order event (a poison message goes to the DLQ with the reason), log
with its correlation id, apply it, and let :class:`FailurePolicy` settle any failure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from orders_common.events import OrderEvent, parse_order_event
from orders_common.failures import FailurePolicy


@dataclass
class OrderEventConsumer:
    apply: Callable[[OrderEvent], dict[str, Any]]
    failures: FailurePolicy
    logger: Logger
    label: str
    #: True when the event's effect is already there: asked for a record out of attempts (see FailurePolicy).
    settled: Callable[[OrderEvent], bool] | None = None

    def __post_init__(self) -> None:
        if self.settled is not None:
            self.failures.already_done = self.already_done

    def already_done(self, record: SQSRecord) -> bool:
        try:
            event = parse_order_event(record)
        except Exception:
            return False
        return self.settled is not None and self.settled(event)

    def process(self, record: SQSRecord) -> dict[str, Any]:
        event = parse_order_event(record)
        self.logger.append_keys(
            correlation_id=event.correlation_id, order_id=event.order_id, event_type=event.event_type
        )
        result = self.apply(event)
        self.logger.info(self.label, extra=result)
        return result

    def handle(self, record: SQSRecord) -> Any:
        return self.failures.run(record, self.process)
