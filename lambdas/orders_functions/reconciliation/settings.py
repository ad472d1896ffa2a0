"""What the reconciliation worker reads from its environment (set by the processing stack from this class)."""

from __future__ import annotations

from dataclasses import dataclass

from event_runtime.environment import WorkerSettings
from event_runtime.settings import FunctionSettings, variable


@dataclass(frozen=True)
class ReconciliationSettings(FunctionSettings):
    #: Balances and their ledger, in one table (read only).
    balances_table: str = variable("BALANCES_TABLE")
    #: Where the reports go: one object per account per run, under ``reconciliations/``.
    reports_bucket: str = variable("REPORTS_BUCKET")


#: Everything the worker reads from its environment (its queue and failure policy: what QueueWorkerService sets).
SETTINGS: tuple[type[FunctionSettings], ...] = (ReconciliationSettings, WorkerSettings)
