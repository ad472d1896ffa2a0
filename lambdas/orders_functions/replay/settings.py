"""What the archive replay function reads from its environment (set by the orchestration stack from this class)."""

from __future__ import annotations

from dataclasses import dataclass

from event_runtime.settings import FunctionSettings, variable


@dataclass(frozen=True)
class ReplaySettings(FunctionSettings):
    #: The archive to replay from.
    archive_arn: str = variable("ARCHIVE_ARN")
    #: The bus the replay goes back onto.
    bus_arn: str = variable("BUS_ARN")


#: Everything the function reads from its environment.
SETTINGS: tuple[type[FunctionSettings], ...] = (ReplaySettings,)
