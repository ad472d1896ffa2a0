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

__all__ = ["ConsumerSettings", "SettingsError", "WorkerSettings", "worker_settings_problems"]


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


#: SQS's limits: a visibility timeout, and the time a message can be kept in hand from its receive, are at
#: most 12 hours; a receive returns at most 10 messages.
SQS_MAX_VISIBILITY_SECONDS = 12 * 3600
SQS_MAX_BATCH_SIZE = 10
#: A heartbeat must come at least twice within the visibility it gives, so one late tick loses nothing.
HEARTBEATS_PER_VISIBILITY = 2


@dataclass(frozen=True, kw_only=True)
class WorkerSettings(ConsumerSettings):
    """What a long-running :class:`~event_runtime.worker.QueueWorker` needs, as ``QueueWorkerService`` sets it.

    The failure policy's settings (:class:`ConsumerSettings`), and how the worker holds messages:

    Example:
        >>> settings = WorkerSettings(
        ...     queue_url="https://sqs.us-east-1.amazonaws.com/111122223333/jobs",
        ...     dead_letter_queue_url="https://sqs.us-east-1.amazonaws.com/111122223333/jobs-dlq",
        ...     max_attempts=5, max_receive_count=20, visibility_timeout_seconds=120, heartbeat_seconds=30,
        ...     max_in_hand_seconds=3600, drain_seconds=60, concurrency=8, batch_size=10)
        >>> WorkerSettings.from_environment(settings.to_environment()) == settings
        True
        >>> WorkerSettings.from_environment({**settings.to_environment(), "HEARTBEAT_SECONDS": "90"})
        Traceback (most recent call last):
        ...
        event_runtime.settings.SettingsError: WorkerSettings: HEARTBEAT_SECONDS (90) must be at most half of \
VISIBILITY_TIMEOUT_SECONDS (120), so that a message is extended before its visibility runs out
    """

    #: The visibility a received message gets, and a heartbeat gives it again (the queue's visibility timeout).
    visibility_timeout_seconds: int = variable("VISIBILITY_TIMEOUT_SECONDS", minimum=1)
    #: How often the heartbeat extends the messages still in hand that would otherwise become visible.
    heartbeat_seconds: int = variable("HEARTBEAT_SECONDS", minimum=1)
    #: The longest a message is kept from its receive: then the heartbeat stops extending it (at most 12 hours).
    max_in_hand_seconds: int = variable("MAX_IN_HAND_SECONDS", minimum=1)
    #: On SIGTERM, the time to finish what is in hand; what is left then is released to the queue.
    drain_seconds: int = variable("DRAIN_SECONDS", minimum=1)
    #: How many messages (a FIFO queue: message groups) are worked on at once, each in a thread.
    concurrency: int = variable("CONCURRENCY", minimum=1)
    #: Messages asked for per receive (at most 10).
    batch_size: int = variable("BATCH_SIZE", minimum=1)

    def __post_init__(self) -> None:
        super().__post_init__()
        problems = worker_settings_problems(
            visibility_timeout_seconds=self.visibility_timeout_seconds,
            heartbeat_seconds=self.heartbeat_seconds,
            max_in_hand_seconds=self.max_in_hand_seconds,
            batch_size=self.batch_size,
            drain_seconds=self.drain_seconds,
        )
        if problems:
            raise SettingsError(f"{type(self).__name__}: " + "; ".join(problems))


#: The least drain deadline: the worker's long poll is half of it (at least 1 s), so a stop never waits on a poll.
MIN_DRAIN_SECONDS = 2


def worker_settings_problems(
    *,
    visibility_timeout_seconds: object,
    heartbeat_seconds: object,
    max_in_hand_seconds: object,
    batch_size: object,
    drain_seconds: object = None,
) -> list[str]:
    """What is wrong with these worker settings together (values not yet known, such as CDK tokens, pass)."""
    problems: list[str] = []

    def known(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if known(visibility_timeout_seconds) and known(heartbeat_seconds):
        assert isinstance(visibility_timeout_seconds, int) and isinstance(heartbeat_seconds, int)
        if heartbeat_seconds * HEARTBEATS_PER_VISIBILITY > visibility_timeout_seconds:
            problems.append(
                f"HEARTBEAT_SECONDS ({heartbeat_seconds}) must be at most half of VISIBILITY_TIMEOUT_SECONDS "
                f"({visibility_timeout_seconds}), so that a message is extended before its visibility runs out"
            )
    for name, value in (
        ("VISIBILITY_TIMEOUT_SECONDS", visibility_timeout_seconds),
        ("MAX_IN_HAND_SECONDS", max_in_hand_seconds),
    ):
        if known(value) and value > SQS_MAX_VISIBILITY_SECONDS:  # type: ignore[operator]
            problems.append(f"{name} ({value}) must be at most {SQS_MAX_VISIBILITY_SECONDS} (12 hours, SQS's limit)")
    if known(drain_seconds) and drain_seconds < MIN_DRAIN_SECONDS:  # type: ignore[operator]
        problems.append(
            f"DRAIN_SECONDS ({drain_seconds}) must be at least {MIN_DRAIN_SECONDS}: the worker's long poll takes "
            "half of it, and the rest is for the work in hand"
        )
    if known(batch_size) and batch_size > SQS_MAX_BATCH_SIZE:  # type: ignore[operator]
        problems.append(f"BATCH_SIZE ({batch_size}) must be at most {SQS_MAX_BATCH_SIZE} (SQS's limit per receive)")
    return problems
