"""Every default of the library's constructs, one frozen group per family, and the table of them.

A prop left unset takes its value from here, and nowhere else: change a default by changing one
line below. Each field names the props (``Owner.prop``) it is the default of; each of those props'
docstrings gives it as ``Default: <text>``, in the words of :func:`describe`; and
:func:`markdown_table` renders all of them as the table in the README (``python -m event_constructs
defaults`` prints it, ``--write README.md`` rewrites the README's copy). The tests hold the three
to each other and to what a construct built without the prop synthesizes.

The alarm thresholds are the field defaults of :class:`~event_constructs.monitoring.AlarmThresholds`
itself (a frozen group of its own); the table shows them too.

Example:
    >>> QUEUE.visibility_timeout.to_human_string(), FUNCTION.memory_size
    ('30 seconds', 256)
    >>> describe(FUNCTION, "memory_size")
    '256 MB'
    >>> print("\\n".join(markdown_table().splitlines()[:3]))
    | construct | prop | default | set in `event_constructs.` |
    |---|---|---|---|
    | `EventQueue`, `Subscriber` | `visibility_timeout` | 30 seconds | `defaults.QUEUE.visibility_timeout` |
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

#: Where the README holds the generated table.
TABLE_START = "<!-- defaults:start -->"
TABLE_END = "<!-- defaults:end -->"
#: The command that prints the table; with ``--write FILE`` it rewrites the table between the markers of FILE.
COMMAND = "python -m event_constructs defaults"


def default_of(*props: str, text: str | None = None, unset: str | None = None) -> dict[str, Any]:
    """The metadata of a field of a defaults group: the props (``Owner.prop``) it is the default of; ``text``
    says it in words of its own (``{}`` for the value), ``unset`` what it means when it is None or empty."""
    return {"props": props, "text": text, "unset": unset}


@dataclass(frozen=True)
class EveryConstructDefaults:
    """What each construct does unless told otherwise."""

    removal_policy: RemovalPolicy = field(
        default=RemovalPolicy.DESTROY,
        metadata=default_of(
            "EventQueue.removal_policy",
            "FanOutTopic.removal_policy",
            "QueueConsumer.removal_policy",
            "ServiceFunction.removal_policy",
            "EventRouter.removal_policy",
            "EventMonitoring.removal_policy",
            "rotating_key.removal_policy",
            "QueueWorkerService.removal_policy",
        ),
    )


@dataclass(frozen=True)
class QueueDefaults:
    """:class:`EventQueue`, and the subscriber queues of a :class:`FanOutTopic` (each an EventQueue)."""

    visibility_timeout: Duration = field(
        default=Duration.seconds(30),
        metadata=default_of("EventQueue.visibility_timeout", "Subscriber.visibility_timeout"),
    )
    retention_period: Duration = field(
        default=Duration.days(4), metadata=default_of("EventQueue.retention_period", "FanOutTopic.retention_period")
    )
    #: The longest SQS keeps a message: also the retention of the subscriptions' and rule targets' DLQs.
    dead_letter_retention_period: Duration = field(
        default=Duration.days(14),
        metadata=default_of("EventQueue.dead_letter_retention_period", "FanOutTopic.dead_letter_retention_period"),
    )
    receive_wait_time: Duration = field(
        default=Duration.seconds(20), metadata=default_of("EventQueue.receive_wait_time", text="{} (long polling)")
    )
    #: The least AWS advises for a queue with a Lambda consumer.
    max_receive_count: int = field(
        default=5, metadata=default_of("EventQueue.max_receive_count", "Subscriber.max_receive_count")
    )
    encryption_key: kms.IKey | None = field(
        default=None, metadata=default_of("EventQueue.encryption_key", unset="none: SQS-managed SSE")
    )


@dataclass(frozen=True)
class FunctionDefaults:
    """:class:`ServiceFunction` and the function a :class:`QueueConsumer` makes."""

    runtime: lambda_.Runtime = field(
        default=lambda_.Runtime.PYTHON_3_14,
        metadata=default_of("powertools_layer.runtime", "powertools_layer_arn.runtime"),
    )
    architecture: lambda_.Architecture = field(
        default=lambda_.Architecture.ARM_64,
        metadata=default_of("powertools_layer.architecture", "powertools_layer_arn.architecture"),
    )
    timeout: Duration = field(
        default=Duration.seconds(30), metadata=default_of("ServiceFunction.timeout", "QueueConsumer.timeout")
    )
    memory_size: int = field(
        default=256, metadata=default_of("ServiceFunction.memory_size", "QueueConsumer.memory_size", text="{} MB")
    )
    log_retention: logs.RetentionDays = field(
        default=logs.RetentionDays.ONE_MONTH,
        metadata=default_of("ServiceFunction.log_retention", "QueueConsumer.log_retention"),
    )
    #: The library's runtime half (event_runtime) in the stack's layer.
    with_runtime_layer: bool = field(
        default=True, metadata=default_of("ServiceFunction.with_runtime_layer", "QueueConsumer.with_runtime_layer")
    )


@dataclass(frozen=True)
class ConsumerDefaults:
    """:class:`QueueConsumer`'s event source mapping and attempts."""

    batch_size: int = field(default=10, metadata=default_of("QueueConsumer.batch_size"))
    max_batching_window: Duration | None = field(
        default=None, metadata=default_of("QueueConsumer.max_batching_window", unset="none")
    )
    max_concurrency: int | None = field(
        default=None, metadata=default_of("QueueConsumer.max_concurrency", unset="no limit")
    )
    max_attempts_with_attempts_table: int = field(
        default=8,
        metadata=default_of(
            "QueueConsumer.max_attempts",
            "QueueWorkerService.max_attempts",
            text="{} with an attempts_table; without one, the queue's max_receive_count",
        ),
    )


@dataclass(frozen=True)
class WorkerDefaults:
    """:class:`QueueWorkerService`: its Fargate tasks, their scaling, and how the worker holds messages."""

    #: The smallest Fargate task (0.25 vCPU with 0.5 GB): the cheapest, for a worker that mostly waits on I/O.
    cpu: int = field(default=256, metadata=default_of("QueueWorkerService.cpu", text="{} (0.25 vCPU)"))
    memory_limit_mib: int = field(
        default=512, metadata=default_of("QueueWorkerService.memory_limit_mib", text="{} MiB")
    )
    #: What most images are built for: a mismatch fails at start ("exec format error"). ARM64 is ~20 % cheaper
    #: for an image built for it.
    cpu_architecture: str = field(default="X86_64", metadata=default_of("QueueWorkerService.cpu_architecture"))
    min_task_count: int = field(default=1, metadata=default_of("QueueWorkerService.min_task_count"))
    #: Equal to min_task_count: nothing scales unless max_task_count is raised (and the work's duration given).
    max_task_count: int = field(default=1, metadata=default_of("QueueWorkerService.max_task_count"))
    #: How long a message may wait before a task starts on it; the backlog per task that scaling tracks is this
    #: over time_per_message, times concurrency. Below the oldest-message alarm's 15 minutes, so that scaling
    #: acts before anyone is paged.
    acceptable_latency: Duration = field(
        default=Duration.minutes(5), metadata=default_of("QueueWorkerService.acceptable_latency")
    )
    #: One message at a time per task: raise it (and batch_size) for work that mostly waits on I/O.
    concurrency: int = field(default=1, metadata=default_of("QueueWorkerService.concurrency"))
    batch_size: int = field(default=1, metadata=default_of("QueueWorkerService.batch_size"))
    heartbeat: Duration | None = field(
        default=None,
        metadata=default_of("QueueWorkerService.heartbeat", unset="none: a third of the queue's visibility timeout"),
    )
    #: A message is extended at most this long from its receive; then it goes back to the queue (SQS allows 12 hours).
    max_in_hand: Duration = field(default=Duration.hours(1), metadata=default_of("QueueWorkerService.max_in_hand"))
    #: On SIGTERM (a deployment, a scale-in, a Spot interruption) the worker finishes or releases its messages
    #: within this; 30 seconds less than the stop timeout leaves time to release what is left and flush logs.
    drain_deadline: Duration = field(
        default=Duration.seconds(90), metadata=default_of("QueueWorkerService.drain_deadline")
    )
    #: Fargate's largest: SIGKILL comes this long after SIGTERM.
    stop_timeout: Duration = field(
        default=Duration.seconds(120), metadata=default_of("QueueWorkerService.stop_timeout")
    )
    log_retention: logs.RetentionDays = field(
        default=logs.RetentionDays.ONE_MONTH, metadata=default_of("QueueWorkerService.log_retention")
    )


@dataclass(frozen=True)
class FanOutDefaults:
    """:class:`FanOutTopic` and its :class:`Subscriber` s (their queues' defaults are the queue family's)."""

    raw_message_delivery: bool = field(default=False, metadata=default_of("Subscriber.raw_message_delivery"))


@dataclass(frozen=True)
class RouterDefaults:
    """:class:`EventRouter`, its archive and its rule targets."""

    archive_retention: Duration | None = field(
        default=None, metadata=default_of("EventRouter.archive_retention", unset="none: kept forever")
    )
    allowed_account_ids: tuple[str, ...] = field(
        default=(), metadata=default_of("EventRouter.allowed_account_ids", unset="none: the stack's own account only")
    )
    retry_attempts: int = field(default=8, metadata=default_of("EventRouter.add_state_machine_target.retry_attempts"))
    max_event_age: Duration = field(
        default=Duration.hours(2), metadata=default_of("EventRouter.add_state_machine_target.max_event_age")
    )


EVERY_CONSTRUCT = EveryConstructDefaults()
QUEUE = QueueDefaults()
FUNCTION = FunctionDefaults()
CONSUMER = ConsumerDefaults()
WORKER = WorkerDefaults()
FAN_OUT = FanOutDefaults()
ROUTER = RouterDefaults()

#: The groups by name (as the table's last column shows them).
FAMILIES: dict[str, Any] = {
    "QUEUE": QUEUE,
    "FUNCTION": FUNCTION,
    "CONSUMER": CONSUMER,
    "WORKER": WORKER,
    "FAN_OUT": FAN_OUT,
    "ROUTER": ROUTER,
    "EVERY_CONSTRUCT": EVERY_CONSTRUCT,
}


@dataclass(frozen=True)
class Row:
    """One default as the table shows it: the props it is the default of, its value, how it reads, and where
    it is set (``QUEUE.visibility_timeout`` in this module, ``AlarmThresholds.function_errors``)."""

    props: tuple[str, ...]
    value: Any
    text: str
    where: str

    @property
    def prop(self) -> str:
        """The prop's name (the same in every owner of the row)."""
        return self.props[0].rsplit(".", 1)[1]

    @property
    def owners(self) -> tuple[str, ...]:
        """The constructs (or functions, or methods) that have the prop."""
        return tuple(prop.rsplit(".", 1)[0] for prop in self.props)


def describe(group: Any, name: str) -> str:
    """How the default ``name`` of ``group`` reads in the table and in its props' docstrings."""
    spec = next(spec for spec in fields(group) if spec.name == name)
    return _words(getattr(group, name), spec.metadata.get("text"), spec.metadata.get("unset"))


def _words(value: Any, text: str | None = None, unset: str | None = None) -> str:
    if value is None or value == ():
        if unset is None:
            raise ValueError("a default that is None or empty needs unset=: what leaving the prop unset means")
        return unset
    if isinstance(value, Duration):
        words = value.to_human_string()
    elif isinstance(value, lambda_.Runtime | lambda_.Architecture):
        words = value.name
    elif isinstance(value, enum.Enum):
        words = f"{type(value).__name__}.{value.name}"
    else:
        words = str(value)
    return text.format(words) if text is not None else words


def rows() -> Iterator[Row]:
    """Every default of the library: family by family, the alarm thresholds, then those of every construct."""
    from event_constructs.monitoring import AlarmThresholds  # which uses this module's defaults

    for name, group in FAMILIES.items():
        if group is not EVERY_CONSTRUCT:
            yield from _rows_of(name, group)
    for spec in fields(AlarmThresholds):
        where = f"monitoring.AlarmThresholds.{spec.name}"
        yield Row((f"AlarmThresholds.{spec.name}",), spec.default, _words(spec.default), where)
    yield from _rows_of("EVERY_CONSTRUCT", EVERY_CONSTRUCT)


def _rows_of(name: str, group: Any) -> Iterator[Row]:
    for spec in fields(group):
        value = getattr(group, spec.name)
        yield Row(spec.metadata["props"], value, describe(group, spec.name), f"defaults.{name}.{spec.name}")


def markdown_table() -> str:
    """The README's table of defaults (without the markers around it)."""
    lines = ["| construct | prop | default | set in `event_constructs.` |", "|---|---|---|---|"]
    for row in rows():
        owners = ", ".join(f"`{owner}`" for owner in row.owners)
        lines.append(f"| {owners} | `{row.prop}` | {row.text} | `{row.where}` |")
    return "\n".join(lines) + "\n"


def with_table(document: str) -> str:
    """``document`` (a Markdown file's text) with the table between its markers replaced by the current one.

    Raises ValueError when the markers are missing.
    """
    start, end = document.find(TABLE_START), document.find(TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"no {TABLE_START} ... {TABLE_END} markers to put the table of defaults between")
    return f"{document[: start + len(TABLE_START)]}\n{markdown_table()}{document[end:]}"
