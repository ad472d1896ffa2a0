"""What payment reads from its environment (set by the processing stack from this class)."""

from __future__ import annotations

from dataclasses import dataclass

from event_runtime.environment import ConsumerSettings
from event_runtime.settings import FunctionSettings, variable


@dataclass(frozen=True)
class PaymentSettings(FunctionSettings):
    #: One payment state machine per order.
    payments_table: str = variable("PAYMENTS_TABLE")
    #: Where charges and refunds go (FIFO, one group per customer account).
    balance_updates_queue_url: str = variable("BALANCE_UPDATES_QUEUE_URL")


#: Everything the function reads from its environment (its failure policy reads what QueueConsumer sets).
SETTINGS: tuple[type[FunctionSettings], ...] = (PaymentSettings, ConsumerSettings)
