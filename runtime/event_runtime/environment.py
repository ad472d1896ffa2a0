"""The environment contract between ``event_constructs.QueueConsumer`` and its handler.

Each variable is named once, here: the construct builds the environment with
``ConsumerSettings(...).to_environment()``, the handler reads it with
``ConsumerSettings.from_environment()``, which fails fast, naming every missing or malformed
variable at once. There are no silent defaults: a consumer without ``ATTEMPTS_TABLE`` counts each
receive as an attempt, which is the construct's documented mode without an attempts table.

Example:
    >>> settings = ConsumerSettings(
    ...     queue_url="https://sqs.us-east-1.amazonaws.com/111122223333/jobs",
    ...     dead_letter_queue_url="https://sqs.us-east-1.amazonaws.com/111122223333/jobs-dlq",
    ...     max_attempts=8, max_receive_count=40, attempts_table="attempts")
    >>> ConsumerSettings.from_environment(settings.to_environment()) == settings
    True
    >>> ConsumerSettings.from_environment({"QUEUE_URL": "https://q", "MAX_ATTEMPTS": "eight"})
    Traceback (most recent call last):
    ...
    event_runtime.settings.SettingsError: ConsumerSettings: DEAD_LETTER_QUEUE_URL is missing; \
MAX_ATTEMPTS must be a whole number from 1, not 'eight'; MAX_RECEIVE_COUNT is missing
"""

from __future__ import annotations

from dataclasses import dataclass

from event_runtime.settings import FunctionSettings, SettingsError, variable

__all__ = ["ConsumerSettings", "SettingsError"]


@dataclass(frozen=True)
class ConsumerSettings(FunctionSettings):
    """What a queue consumer's failure policy needs to know, as QueueConsumer sets it."""

    #: The queue the function consumes (backoff changes its messages' visibility).
    queue_url: str = variable("QUEUE_URL")
    #: Where a message the handler gives up on goes, with its reason.
    dead_letter_queue_url: str = variable("DEAD_LETTER_QUEUE_URL")
    #: How many real attempts a message gets before it is dead-lettered with its last error.
    max_attempts: int = variable("MAX_ATTEMPTS", minimum=1)
    #: The queue's maxReceiveCount: the handler dead-letters on this receive rather than leave it to SQS.
    max_receive_count: int = variable("MAX_RECEIVE_COUNT", minimum=1)
    #: The table that counts attempts apart from receives; None: every receive is an attempt.
    attempts_table: str | None = variable("ATTEMPTS_TABLE", optional=True)
