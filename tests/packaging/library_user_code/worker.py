"""A library user's consumer: one record at a time, the failure policy from event_runtime (in its layer)."""

import json

from aws_lambda_powertools import Logger

import event_runtime
from event_runtime import BatchConsumer, PoisonMessageError

logger = Logger()


def process(record):
    job = json.loads(record.body)
    if "size" not in job:
        raise PoisonMessageError("a job needs a size")
    logger.info("job done", extra={"size": job["size"], "event_runtime": event_runtime.__file__})
    return job["size"]


handler = BatchConsumer(process, logger=logger)
