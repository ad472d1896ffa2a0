"""What analytics reads from its environment (set by the processing stack from this class)."""

from __future__ import annotations

from dataclasses import dataclass

from event_runtime.environment import ConsumerSettings
from event_runtime.settings import FunctionSettings, variable


@dataclass(frozen=True)
class AnalyticsSettings(FunctionSettings):
    #: The data lake: one object per event id.
    data_lake_bucket: str = variable("DATA_LAKE_BUCKET")


#: Everything the function reads from its environment (its failure policy reads what QueueConsumer sets).
SETTINGS: tuple[type[FunctionSettings], ...] = (AnalyticsSettings, ConsumerSettings)
