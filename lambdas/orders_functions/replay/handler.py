"""Lambda entry point: ``{"start": "<ISO 8601>", "end": "<ISO 8601>", "name": optional}`` -> the replay's outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_functions.replay.replayer import ArchiveReplayer, ReplayProgress
from orders_functions.replay.settings import ReplaySettings

logger = Logger()


def _log(progress: ReplayProgress) -> None:
    logger.info(
        "replay progress",
        extra={"replay": progress.name, "state": progress.state, "done": round(progress.fraction_done, 3)},
    )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    replayer = ArchiveReplayer(boto3.client("events"), on_progress=_log)
    deadline = max(1.0, context.get_remaining_time_in_millis() / 1000 - 30)
    settings = ReplaySettings.from_environment()
    progress = replayer.replay(
        settings.archive_arn,
        settings.bus_arn,
        datetime.fromisoformat(event["start"]),
        datetime.fromisoformat(event["end"]),
        name=event.get("name"),
        deadline_seconds=deadline,
    )
    return {
        "name": progress.name,
        "state": progress.state,
        "fraction_done": progress.fraction_done,
        "reason": progress.reason,
    }
