"""What balance-updates reads from its environment (set by the processing stack from this class)."""

from __future__ import annotations

from dataclasses import dataclass

from event_runtime.environment import ConsumerSettings
from event_runtime.settings import FunctionSettings, variable


@dataclass(frozen=True)
class BalanceUpdaterSettings(FunctionSettings):
    #: Balances and their ledger, in one table.
    balances_table: str = variable("BALANCES_TABLE")


#: Everything the function reads from its environment (its failure policy reads what QueueConsumer sets).
SETTINGS: tuple[type[FunctionSettings], ...] = (BalanceUpdaterSettings, ConsumerSettings)
