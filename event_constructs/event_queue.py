"""An SQS queue that always comes with its dead-letter queue.

Example:
    >>> import aws_cdk as cdk
    >>> from event_constructs import EventQueue
    >>> stack = cdk.Stack(cdk.App(), "Example")
    >>> work = EventQueue(stack, "BalanceUpdates", queue_name="balance-updates", fifo=True,
    ...                   high_throughput=True)
    >>> work.queue_name, work.dead_letter_queue_name
    ('balance-updates.fifo', 'balance-updates-dlq.fifo')
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Acknowledgment, Duration, Names, RemovalPolicy, Stack, Token, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from event_constructs._validation import PropsProblems, seconds
from event_constructs.defaults import EVERY_CONSTRUCT, QUEUE
from event_constructs.writers import WritersOnly, restrict

FIFO_SUFFIX = ".fifo"
DLQ_SUFFIX = "-dlq"
MAX_QUEUE_NAME_LENGTH = 80
MIN_RETENTION = Duration.seconds(60)
MAX_RETENTION = Duration.days(14)
MAX_VISIBILITY_TIMEOUT = Duration.hours(12)
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
#: SQS's largest message (body and attributes): the DLQ's maximum.
SQS_MAX_MESSAGE_BYTES = 1_048_576
#: The work queue's maximum is this much below its DLQ's, so that a consumer's copy of a message with the
#: reason attached (at most 4 KiB of attributes, see event_runtime.dead_letter) always fits in the DLQ.
DEAD_LETTER_HEADROOM_BYTES = 8192


class QueueWithDeadLetterQueue:
    """What consumers and producers need of a queue and its DLQ, new or existing."""

    queue: sqs.IQueue
    dead_letter_queue: sqs.IQueue
    queue_name: str
    dead_letter_queue_name: str
    fifo: bool
    max_receive_count: int
    visibility_timeout: Duration
    encryption_key: kms.IKey | None
    _writers_only: WritersOnly | None = None

    @property
    def queue_arn(self) -> str:
        return self.queue.queue_arn

    @property
    def queue_url(self) -> str:
        return self.queue.queue_url

    def grant_send_messages(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` send to the work queue (and use its KMS key, if any), with exact actions.

        After :meth:`accept_writes_only_from`, it is also one of the queue's writers.
        """
        self._senders().append(grantee)
        if self._writers_only is not None:
            self._writers_only.allow_grantee(grantee)
        return self._grant_send(self.queue, grantee)

    def accept_writes_only_from(self, *principal_arns: str, sources: Sequence[str] = ()) -> WritersOnly:
        """Deny ``sqs:SendMessage`` on the work queue to all but its writers (see :mod:`event_constructs.writers`).

        The writers are the grantees of :meth:`grant_send_messages` (before and after this call) and
        ``principal_arns`` (operators who redrive the DLQ, outside producers); ``sources`` are the ARNs of
        the resources an AWS service may deliver for (an SNS topic the queue subscribes to).
        """
        if not isinstance(self.queue, sqs.Queue):
            raise ValueError(f"{self.queue_name}: an existing queue's policy is its owner's; restrict it there")
        self._writers_only = restrict(
            self._writers_only,
            self.queue,
            self.queue.add_to_resource_policy,
            ["sqs:SendMessage"],
            [self.queue.queue_arn],
            grantees=self._senders(),
            principal_arns=principal_arns,
            sources=sources,
        )
        return self._writers_only

    def _senders(self) -> list[iam.IGrantable]:
        if not hasattr(self, "_granted_senders"):
            self._granted_senders: list[iam.IGrantable] = []
        return self._granted_senders

    def grant_consume_messages(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` receive, delete and change visibility on the work queue."""
        return self.queue.grant_consume_messages(grantee)

    def grant_dead_letter(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` put messages it gives up on into the DLQ (with the reason attached)."""
        return self._grant_send(self.dead_letter_queue, grantee)

    def _grant_send(self, queue: sqs.IQueue, grantee: iam.IGrantable) -> iam.Grant:
        # CDK's grant_send_messages also grants kms:ReEncrypt* and kms:GenerateDataKey*; SQS needs
        # only these two to encrypt a message with a customer-managed key.
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sqs:SendMessage"],  # all SendMessage needs (a sender knows the queue's URL)
            resource_arns=[queue.queue_arn],
        )
        if self.encryption_key is not None:
            self.encryption_key.grant(grantee, "kms:GenerateDataKey", "kms:Decrypt")
        return grant


class EventQueue(QueueWithDeadLetterQueue, Construct):
    """An SQS queue with a dead-letter queue of the same kind, secure by default.

    - Every queue gets a DLQ; a FIFO queue gets a FIFO DLQ (``.fifo`` suffixes are added for you).
    - Encryption at rest: SQS-managed SSE, or the customer-managed KMS key you pass.
    - Requests without TLS are denied on both queues.
    - The DLQ keeps messages longer than the source queue, and its redrive allow policy
      names the source queue only.
    - The DLQ takes the largest message SQS allows; the work queue 8 KiB less, so a message a
      consumer dead-letters with its reason attached always fits.
    - FIFO: content-based deduplication, deduplication scope, and ``high_throughput``
      (per-message-group deduplication and throughput) as one flag.

    Args:
        queue_name: the work queue's name; the DLQ's is derived from it (``<name>-dlq``), and a FIFO
            queue's names get ``.fifo``. Default: a unique name derived from the construct's path.
        fifo: a FIFO queue with a FIFO DLQ. Default: False.
        visibility_timeout: how long a received message stays hidden from other receivers; at least
            6 x the timeout of a Lambda consumer. Default: 30 seconds.
        retention_period: how long the work queue keeps a message (60 s to 14 days). Default: 4 days.
        dead_letter_retention_period: how long the DLQ keeps a message; longer than
            ``retention_period``. Default: 14 days.
        max_receive_count: receives before SQS moves a message to the DLQ (1 to 1000; a Lambda
            consumer needs at least 5). Default: 5.
        encryption_key: a customer-managed KMS key that encrypts both queues. Default: none: SQS-managed SSE.
        content_based_deduplication: FIFO only: deduplicate on a hash of the body. Default: False.
        deduplication_scope: FIFO only: deduplicate per queue or per message group. Default: none:
            SQS's (per queue), or per message group with ``high_throughput``.
        high_throughput: FIFO only: deduplication and throughput per message group. Default: False.
        receive_wait_time: how long a receive waits for a message to arrive. Default: 20 seconds (long polling).
        removal_policy: what happens to both queues when they leave the stack. Default: RemovalPolicy.DESTROY.

    Attributes:
        queue: the work queue.
        dead_letter_queue: its DLQ.
        max_receive_count: receives before SQS moves a message to the DLQ.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queue_name: str | None = None,
        fifo: bool = False,
        visibility_timeout: Duration | None = None,
        retention_period: Duration | None = None,
        dead_letter_retention_period: Duration | None = None,
        max_receive_count: int = QUEUE.max_receive_count,
        encryption_key: kms.IKey | None = QUEUE.encryption_key,
        content_based_deduplication: bool = False,
        deduplication_scope: sqs.DeduplicationScope | None = None,
        high_throughput: bool = False,
        receive_wait_time: Duration | None = None,
        removal_policy: RemovalPolicy = EVERY_CONSTRUCT.removal_policy,
    ) -> None:
        super().__init__(scope, construct_id)
        visibility_timeout = visibility_timeout or QUEUE.visibility_timeout
        retention_period = retention_period or QUEUE.retention_period
        dead_letter_retention_period = dead_letter_retention_period or QUEUE.dead_letter_retention_period
        receive_wait_time = receive_wait_time or QUEUE.receive_wait_time

        problems = PropsProblems("EventQueue", self.node.path)
        base_name = self._base_name(queue_name, fifo, problems)
        self._check_durations(problems, visibility_timeout, retention_period, dead_letter_retention_period)
        problems.check(
            1 <= max_receive_count <= 1000,
            f"max_receive_count is {max_receive_count}; use a value from 1 to 1000",
        )
        if not fifo:
            for flag, value in (
                ("content_based_deduplication", content_based_deduplication),
                ("deduplication_scope", deduplication_scope is not None),
                ("high_throughput", high_throughput),
            ):
                problems.check(not value, f"{flag} applies to FIFO queues only; set fifo=True or drop {flag}")
        if high_throughput:
            problems.check(
                deduplication_scope in (None, sqs.DeduplicationScope.MESSAGE_GROUP),
                "high_throughput needs deduplication_scope=MESSAGE_GROUP; drop deduplication_scope "
                "or set high_throughput=False",
            )
        problems.raise_if_any()

        suffix = FIFO_SUFFIX if fifo else ""
        self.queue_name = f"{base_name}{suffix}"
        self.dead_letter_queue_name = f"{base_name}{DLQ_SUFFIX}{suffix}"
        self.fifo = fifo
        self.max_receive_count = max_receive_count
        self.visibility_timeout = visibility_timeout
        self.encryption_key = encryption_key

        if high_throughput:
            deduplication_scope = sqs.DeduplicationScope.MESSAGE_GROUP
        fifo_options: dict[str, object] = {}
        if fifo:
            fifo_options = {
                "fifo": True,
                "content_based_deduplication": content_based_deduplication,
                "deduplication_scope": deduplication_scope,
                "fifo_throughput_limit": (sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID if high_throughput else None),
            }
        encryption: dict[str, object] = (
            {"encryption": sqs.QueueEncryption.KMS, "encryption_master_key": encryption_key}
            if encryption_key is not None
            else {"encryption": sqs.QueueEncryption.SQS_MANAGED}
        )

        # The source ARN is built from the name, not referenced from the queue resource:
        # the queue already references the DLQ (RedrivePolicy), so a reference back would be a cycle.
        source_arn = Stack.of(self).format_arn(service="sqs", resource=self.queue_name)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            queue_name=self.dead_letter_queue_name,
            retention_period=dead_letter_retention_period,
            max_message_size_bytes=SQS_MAX_MESSAGE_BYTES,
            enforce_ssl=True,
            removal_policy=removal_policy,
            redrive_allow_policy=sqs.RedriveAllowPolicy(
                redrive_permission=sqs.RedrivePermission.BY_QUEUE,
                source_queues=[sqs.Queue.from_queue_arn(self, "SourceQueueRef", source_arn)],
            ),
            **fifo_options,  # type: ignore[arg-type]
            **encryption,  # type: ignore[arg-type]
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            queue_name=self.queue_name,
            visibility_timeout=visibility_timeout,
            max_message_size_bytes=SQS_MAX_MESSAGE_BYTES - DEAD_LETTER_HEADROOM_BYTES,
            retention_period=retention_period,
            receive_message_wait_time=receive_wait_time,
            enforce_ssl=True,
            removal_policy=removal_policy,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letter_queue, max_receive_count=max_receive_count),
            **fifo_options,  # type: ignore[arg-type]
            **encryption,  # type: ignore[arg-type]
        )
        Validations.of(self.dead_letter_queue).acknowledge(
            Acknowledgment(
                id="Serverless-SQSRedrivePolicy",
                reason=f"{self.dead_letter_queue_name} is the dead-letter queue of {self.queue_name}: "
                "messages end here for an operator to inspect and redrive, so it has no DLQ of its own",
            )
        )

    @classmethod
    def from_existing(
        cls,
        scope: Construct,
        construct_id: str,
        *,
        queue: sqs.IQueue,
        dead_letter_queue: sqs.IQueue,
        visibility_timeout: Duration,
        max_receive_count: int,
        encryption_key: kms.IKey | None = None,
    ) -> ExistingEventQueue:
        """A queue (and DLQ) you already have, described so that consumers can be checked against it.

        Nothing is created; state the queue's visibility timeout and maxReceiveCount as they are.

        Args:
            queue: the work queue.
            dead_letter_queue: its DLQ (the target of its redrive policy).
            visibility_timeout: the queue's visibility timeout.
            max_receive_count: the maxReceiveCount of the queue's redrive policy.
            encryption_key: the KMS key the queues are encrypted with. Default: none: the queue's
                ``encryption_master_key``, if it has one.
        """
        return ExistingEventQueue(
            scope,
            construct_id,
            queue=queue,
            dead_letter_queue=dead_letter_queue,
            visibility_timeout=visibility_timeout,
            max_receive_count=max_receive_count,
            encryption_key=encryption_key,
        )

    def _base_name(self, queue_name: str | None, fifo: bool, problems: PropsProblems) -> str:
        longest_suffix = len(DLQ_SUFFIX) + (len(FIFO_SUFFIX) if fifo else 0)
        if queue_name is None:
            # A fixed physical name lets the DLQ's redrive allow policy name its source without a cycle.
            return Names.unique_resource_name(self, max_length=MAX_QUEUE_NAME_LENGTH - longest_suffix, separator="-")
        if Token.is_unresolved(queue_name):
            problems.check(False, "queue_name must be a literal string (the DLQ name is derived from it)")
            return queue_name
        base = queue_name.removesuffix(FIFO_SUFFIX)
        if queue_name.endswith(FIFO_SUFFIX) and not fifo:
            problems.check(False, f"queue_name '{queue_name}' ends with .fifo; set fifo=True or drop the suffix")
        problems.check(
            bool(_NAME_PATTERN.match(base)),
            f"queue_name '{queue_name}' may use only letters, digits, '-' and '_'",
        )
        problems.check(
            len(base) + longest_suffix <= MAX_QUEUE_NAME_LENGTH,
            f"queue_name '{queue_name}' is too long: with its DLQ suffix it must fit in "
            f"{MAX_QUEUE_NAME_LENGTH} characters, so use at most {MAX_QUEUE_NAME_LENGTH - longest_suffix}",
        )
        return base

    @staticmethod
    def _check_durations(
        problems: PropsProblems,
        visibility_timeout: Duration,
        retention_period: Duration,
        dead_letter_retention_period: Duration,
    ) -> None:
        visibility = seconds(visibility_timeout)
        retention = seconds(retention_period)
        dlq_retention = seconds(dead_letter_retention_period)
        lowest, highest = MIN_RETENTION.to_seconds(), MAX_RETENTION.to_seconds()
        if visibility is not None:
            problems.check(
                0 <= visibility <= MAX_VISIBILITY_TIMEOUT.to_seconds(),
                f"visibility_timeout is {visibility:g} s; use 0 s to 12 hours",
            )
        for name, value in (
            ("retention_period", retention),
            ("dead_letter_retention_period", dlq_retention),
        ):
            if value is not None:
                problems.check(lowest <= value <= highest, f"{name} is {value:g} s; use 60 s to 14 days (1209600 s)")
        if retention is not None and dlq_retention is not None:
            problems.check(
                dlq_retention > retention,
                f"dead_letter_retention_period ({dlq_retention:g} s) must be longer than retention_period "
                f"({retention:g} s), or messages expire from the DLQ before anyone looks; "
                "lengthen the DLQ retention or shorten the queue's",
            )


class ExistingEventQueue(QueueWithDeadLetterQueue, Construct):
    """An existing queue and its DLQ, made usable by :class:`QueueConsumer` and the grants.

    Create it with :meth:`EventQueue.from_existing`, whose props it takes.

    Args:
        queue: the work queue.
        dead_letter_queue: its DLQ (the target of its redrive policy).
        visibility_timeout: the queue's visibility timeout.
        max_receive_count: the maxReceiveCount of the queue's redrive policy.
        encryption_key: the KMS key the queues are encrypted with. Default: none: the queue's
            ``encryption_master_key``, if it has one.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queue: sqs.IQueue,
        dead_letter_queue: sqs.IQueue,
        visibility_timeout: Duration,
        max_receive_count: int,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = PropsProblems("EventQueue.from_existing", self.node.path)
        problems.check(
            1 <= max_receive_count <= 1000,
            f"max_receive_count is {max_receive_count}; state the queue's redrive maxReceiveCount (1 to 1000)",
        )
        problems.raise_if_any()
        self.queue = queue
        self.dead_letter_queue = dead_letter_queue
        self.queue_name = queue.queue_name
        self.dead_letter_queue_name = dead_letter_queue.queue_name
        self.fifo = queue.fifo
        self.max_receive_count = max_receive_count
        self.visibility_timeout = visibility_timeout
        self.encryption_key = encryption_key or queue.encryption_master_key
