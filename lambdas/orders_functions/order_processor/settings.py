"""What order-processing reads from its environment (set by the processing stack from this class)."""

from __future__ import annotations

from dataclasses import dataclass

from event_runtime.environment import ConsumerSettings
from event_runtime.settings import FunctionSettings, variable


@dataclass(frozen=True)
class OrderProcessorSettings(FunctionSettings):
    #: The orders, as stored facts (one item per order).
    orders_table: str = variable("ORDERS_TABLE")
    #: Where order events are announced (SNS fan-out to the other consumers).
    order_events_topic_arn: str = variable("ORDER_EVENTS_TOPIC_ARN")
    #: Where OrderCreated goes (EventBridge: the high-value rule, the archive).
    orders_bus_name: str = variable("ORDERS_BUS_NAME")


#: Everything the function reads from its environment (its failure policy reads what QueueConsumer sets).
SETTINGS: tuple[type[FunctionSettings], ...] = (OrderProcessorSettings, ConsumerSettings)
