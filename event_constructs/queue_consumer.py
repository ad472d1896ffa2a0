"""A Lambda function that consumes an :class:`EventQueue` with partial batch responses.

Example:
    >>> import aws_cdk as cdk
    >>> from aws_cdk import aws_lambda as lambda_
    >>> from event_constructs import EventQueue, QueueConsumer
    >>> stack = cdk.Stack(cdk.App(), "Example")
    >>> orders = EventQueue(stack, "Orders", queue_name="orders",
    ...                     visibility_timeout=cdk.Duration.seconds(180))
    >>> consumer = QueueConsumer(stack, "OrderConsumer", queue=orders,
    ...                          code=lambda_.Code.from_inline("def handler(event, context): ..."),
    ...                          handler="index.handler", timeout=cdk.Duration.seconds(30))
    >>> consumer.function.runtime.name
    'python3.14'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from constructs import Construct

from event_constructs._validation import PropsProblems, seconds
from event_constructs.defaults import CONSUMER, EVERY_CONSTRUCT, FUNCTION
from event_constructs.event_queue import QueueWithDeadLetterQueue
from event_constructs.runtime_layer import runtime_layer
from event_constructs.service_function import ServiceFunction
from event_runtime.environment import ConsumerSettings

#: AWS guidance: a queue's visibility timeout should be at least six times the consumer's timeout.
#: The attribute that marks a lambda_.Function attached as a consumer (with the consumer's path).
_CONSUMES = "_event_constructs_consumer"
VISIBILITY_TO_TIMEOUT_RATIO = 6
#: AWS guidance: give Lambda consumers at least five receives before a message is dead-lettered.
MIN_MAX_RECEIVE_COUNT = 5
#: With attempts counted apart from receives, maxReceiveCount is a backstop this many times the most
#: receives a message can see while being tried max_attempts times (a FIFO record is received once per
#: attempt of every record ahead of it in its batch: batch_size x max_attempts).
BACKSTOP_MARGIN = 2


def backstop_receive_count(max_attempts: int, batch_size: int, fifo: bool) -> int:
    """The least maxReceiveCount that stays a backstop for ``max_attempts`` counted attempts.

    Example:
        >>> backstop_receive_count(8, 10, fifo=True), backstop_receive_count(8, 10, fifo=False)
        (160, 16)
    """
    return BACKSTOP_MARGIN * max_attempts * (batch_size if fifo else 1)


def check_attempts(
    problems: PropsProblems, queue: QueueWithDeadLetterQueue, max_attempts: int, batch_size: int, *, counted: bool
) -> None:
    """Whether ``max_attempts`` fits the queue's maxReceiveCount: a backstop well above it when attempts are
    ``counted`` apart from receives (an attempts table), else no more receives than SQS allows."""
    problems.check(max_attempts >= 1, f"max_attempts is {max_attempts}; use 1 or more")
    if counted:
        backstop = backstop_receive_count(max_attempts, batch_size, queue.fifo)
        problems.check(
            queue.max_receive_count >= backstop,
            f"queue {queue.queue_name} has max_receive_count {queue.max_receive_count}; with attempts counted "
            f"apart from receives it must be a backstop of at least {BACKSTOP_MARGIN} x max_attempts "
            f"({max_attempts})"
            + (f" x batch_size ({batch_size})" if queue.fifo else "")
            + f" = {backstop}, or SQS dead-letters messages that were received but not tried, without a "
            "reason: raise the queue's max_receive_count or lower max_attempts",
        )
    else:
        problems.check(
            max_attempts <= queue.max_receive_count,
            f"max_attempts is {max_attempts} but queue {queue.queue_name} moves a message to its DLQ "
            f"after {queue.max_receive_count} receives: lower max_attempts or give an attempts_table",
        )


MAX_BATCH_SIZE_WITHOUT_WINDOW = 10
MAX_BATCH_SIZE_WITH_WINDOW = 10_000
MAX_BATCHING_WINDOW = Duration.minutes(5)
MAX_FUNCTION_TIMEOUT = Duration.minutes(15)


class QueueConsumer(Construct):
    """A Lambda function subscribed to an :class:`EventQueue` through an event source mapping.

    The mapping always reports batch item failures, so one bad record never makes the whole
    batch retry. The function gets the pinned Powertools layer, the library's runtime half in a
    layer (:mod:`event_runtime`: its ``BatchConsumer`` is the handler's failure policy, and reads
    what follows), X-Ray tracing, structured logs in a log group with a retention, and the
    environment of :class:`event_runtime.ConsumerSettings`:
    ``QUEUE_URL``, ``DEAD_LETTER_QUEUE_URL`` (for messages it gives up on, with a reason),
    ``MAX_ATTEMPTS`` (how many times a message is tried before it is dead-lettered),
    ``MAX_RECEIVE_COUNT`` (the queue's, which the handler never leaves to SQS) and, with
    ``attempts_table``, ``ATTEMPTS_TABLE``: the table where the handler counts real attempts per
    message apart from receives (``event_runtime.attempts``; key ``message_key``, TTL ``expires_at``).

    Refused at synth, all problems at once: a queue visibility timeout below
    6 x function timeout + batching window, a max receive count below 5 (or below the backstop
    for ``max_attempts``), a batching window on a FIFO queue, and batch sizes, windows and
    concurrency outside what Lambda accepts.

    Pass ``function`` to attach a function you already have (with ``timeout``, unless it is a
    ``lambda_.Function`` of this app); it gets the mapping, the DLQ grant and, when it is a
    ``lambda_.Function``, the environment variables above.

    Args:
        queue: the queue to consume (an :class:`EventQueue`, or one from ``EventQueue.from_existing``).
        code: the new function's code (with ``handler``). Default: none: give ``function`` instead.
        handler: the new function's handler, ``module.function``. Default: none: give ``function`` instead.
        function: an existing function to attach instead of making one. Default: none: a new
            :class:`ServiceFunction` from ``code`` and ``handler``.
        service_name: the function's ``POWERTOOLS_SERVICE_NAME``. Default: none: the construct id.
        description: the new function's description. Default: none: "Consumes <queue name>".
        environment: environment variables besides the ones above. Default: none.
        timeout: the function's timeout; for an existing function, what it is (read from a
            ``lambda_.Function`` of this app), so that the queue's visibility timeout can be checked
            against it. Default: 30 seconds.
        memory_size: the new function's memory (128 to 10240 MB). Default: 256 MB.
        batch_size: the most records per invocation (1 to 10, or to 10000 with a batching window on a
            standard queue). Default: 10.
        max_batching_window: how long the mapping gathers records before it invokes (at most 5 minutes;
            not on a FIFO queue). Default: none.
        max_concurrency: the most concurrent invocations the mapping makes (2 to 1000). Default: no limit.
        layers: layers besides the Powertools one. Default: none.
        log_retention: how long the new function's log group keeps logs. Default: RetentionDays.ONE_MONTH.
        removal_policy: what happens to the new function's log group when it leaves the stack.
            Default: RemovalPolicy.DESTROY.
        attempts_table: where the handler counts real attempts apart from receives (see above).
            Default: none: the handler goes by the receive count.
        max_attempts: tries at a message before the handler dead-letters it; without an attempts table
            at most the queue's ``max_receive_count``, with one, the queue's ``max_receive_count`` must be
            a backstop well above it (:func:`backstop_receive_count`). Default: 8 with an attempts_table;
            without one, the queue's max_receive_count.
        role_name: the new function's role's name. Default: none: CloudFormation generates one.
        with_runtime_layer: whether the function (new, or an existing ``lambda_.Function``) gets the
            library's runtime half (:mod:`event_runtime`) in the stack's layer; its handler needs it to
            use ``event_runtime.BatchConsumer``. Default: True.

    A function consumes one queue: its environment names one queue and one DLQ, so attaching a
    ``lambda_.Function`` that already consumes a queue is refused.

    Attributes:
        function: the consumer function.
        role, log_group: those of a function created here (None for an existing one).
        event_source: the SQS event source attached to it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queue: QueueWithDeadLetterQueue,
        code: lambda_.Code | None = None,
        handler: str | None = None,
        function: lambda_.IFunction | None = None,
        service_name: str | None = None,
        description: str | None = None,
        environment: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
        memory_size: int = FUNCTION.memory_size,
        batch_size: int = CONSUMER.batch_size,
        max_batching_window: Duration | None = CONSUMER.max_batching_window,
        max_concurrency: int | None = CONSUMER.max_concurrency,
        layers: Sequence[lambda_.ILayerVersion] = (),
        log_retention: logs.RetentionDays = FUNCTION.log_retention,
        removal_policy: RemovalPolicy = EVERY_CONSTRUCT.removal_policy,
        attempts_table: dynamodb.ITable | None = None,
        max_attempts: int | None = None,
        role_name: str | None = None,
        with_runtime_layer: bool = FUNCTION.with_runtime_layer,
    ) -> None:
        super().__init__(scope, construct_id)
        if max_attempts is None:
            max_attempts = (
                CONSUMER.max_attempts_with_attempts_table if attempts_table is not None else queue.max_receive_count
            )
        self.max_attempts = max_attempts
        self.attempts_table = attempts_table
        if function is not None and timeout is None:
            timeout = getattr(function, "timeout", None)
        problems = PropsProblems("QueueConsumer", self.node.path)
        problems.check(
            (function is None) == (code is not None and handler is not None) and (code is None) == (handler is None),
            "give code and handler for a new function, or function for an existing one (not both)",
        )
        if isinstance(function, lambda_.Function):
            consumed = getattr(function, _CONSUMES, None)
            problems.check(
                consumed is None,
                f"function {function.node.path} already consumes {consumed}: a function consumes one queue (its "
                "environment names one queue and one DLQ); give this queue a function of its own",
            )
        if function is not None:
            problems.check(
                timeout is not None,
                "the existing function's timeout is unknown here; pass timeout= with its value, so the queue's "
                "visibility timeout can be checked against it",
            )
        problems.raise_if_any()
        timeout = timeout or FUNCTION.timeout
        self._validate(queue, timeout, memory_size, batch_size, max_batching_window, max_concurrency)

        self.queue = queue
        consumer_environment = ConsumerSettings(
            queue_url=queue.queue_url,
            dead_letter_queue_url=queue.dead_letter_queue.queue_url,
            max_attempts=max_attempts,
            max_receive_count=queue.max_receive_count,
            attempts_table=None if attempts_table is None else attempts_table.table_name,
        ).to_environment()
        self.role: iam.IRole | None = None
        self.log_group: logs.ILogGroup | None = None
        if function is not None:
            self.function: lambda_.IFunction = function
            if isinstance(function, lambda_.Function):
                setattr(function, _CONSUMES, self.node.path)
                for name, value in {**consumer_environment, **(environment or {})}.items():
                    function.add_environment(name, value)
                if with_runtime_layer:
                    function.add_layers(runtime_layer(Stack.of(function)))
            self._attach(queue, batch_size, max_batching_window, max_concurrency)
            return
        assert code is not None and handler is not None
        service = ServiceFunction(
            self,
            "Service",
            code=code,
            handler=handler,
            invoked_by=f"the event source mapping of {queue.queue_name}",
            service_name=service_name or construct_id,
            description=description or f"Consumes {queue.queue_name}",
            timeout=timeout,
            memory_size=memory_size,
            layers=layers,
            log_retention=log_retention,
            removal_policy=removal_policy,
            environment={**consumer_environment, **(environment or {})},
            role_name=role_name,
            with_runtime_layer=with_runtime_layer,
        )
        self.function, self.role, self.log_group = service.function, service.role, service.log_group
        self._attach(queue, batch_size, max_batching_window, max_concurrency)

    def _attach(
        self,
        queue: QueueWithDeadLetterQueue,
        batch_size: int,
        max_batching_window: Duration | None,
        max_concurrency: int | None,
    ) -> None:
        queue.grant_dead_letter(self.function)
        if self.attempts_table is not None:
            self.attempts_table.grant(self.function, "dynamodb:UpdateItem")
        self.event_source = event_sources.SqsEventSource(
            queue.queue,
            batch_size=batch_size,
            max_batching_window=max_batching_window,
            max_concurrency=max_concurrency,
            report_batch_item_failures=True,
        )
        self.function.add_event_source(self.event_source)
        self._acknowledge_consumer_findings()

    def _validate(
        self,
        queue: QueueWithDeadLetterQueue,
        timeout: Duration,
        memory_size: int,
        batch_size: int,
        max_batching_window: Duration | None,
        max_concurrency: int | None,
    ) -> None:
        problems = PropsProblems("QueueConsumer", self.node.path)
        timeout_s = seconds(timeout) or 0.0
        window_s = seconds(max_batching_window) or 0.0
        visibility_s = seconds(queue.visibility_timeout)
        problems.check(
            timeout_s <= MAX_FUNCTION_TIMEOUT.to_seconds(),
            f"timeout is {timeout_s:g} s; Lambda allows at most 900 s",
        )
        problems.check(128 <= memory_size <= 10_240, f"memory_size is {memory_size} MB; use 128 to 10240 MB")
        if visibility_s is not None:
            needed = VISIBILITY_TO_TIMEOUT_RATIO * timeout_s + window_s
            problems.check(
                visibility_s >= needed,
                f"the visibility timeout of queue {queue.queue_name} is {visibility_s:g} s; it must be at least "
                f"6 x function timeout ({timeout_s:g} s) + batching window ({window_s:g} s) = {needed:g} s, "
                "or messages reappear while still being processed: raise the queue's visibility_timeout "
                "or lower the function timeout",
            )
        problems.check(
            queue.max_receive_count >= MIN_MAX_RECEIVE_COUNT,
            f"queue {queue.queue_name} has max_receive_count {queue.max_receive_count}; Lambda consumers need "
            f"at least {MIN_MAX_RECEIVE_COUNT} so throttled or retried batches are not dead-lettered early: "
            "raise the queue's max_receive_count",
        )
        check_attempts(problems, queue, self.max_attempts, batch_size, counted=self.attempts_table is not None)
        if queue.fifo:
            problems.check(
                max_batching_window is None,
                f"queue {queue.queue_name} is FIFO and Lambda refuses a batching window on FIFO queues; "
                "drop max_batching_window",
            )
        else:
            problems.check(
                window_s <= MAX_BATCHING_WINDOW.to_seconds(),
                f"max_batching_window is {window_s:g} s; use at most 300 s",
            )
        largest = MAX_BATCH_SIZE_WITH_WINDOW if window_s > 0 and not queue.fifo else MAX_BATCH_SIZE_WITHOUT_WINDOW
        problems.check(
            1 <= batch_size <= largest,
            f"batch_size is {batch_size}; use 1 to {largest}"
            + ("" if largest == MAX_BATCH_SIZE_WITH_WINDOW or queue.fifo else " (more needs a batching window)"),
        )
        if max_concurrency is not None:
            problems.check(
                2 <= max_concurrency <= 1000,
                f"max_concurrency is {max_concurrency}; use 2 to 1000, or leave it unset for no limit",
            )
        problems.raise_if_any()

    def _acknowledge_consumer_findings(self) -> None:
        Validations.of(self.function).acknowledge(
            Acknowledgment(
                id="Serverless-LambdaEventSourceMappingDestination",
                reason="SQS event source mappings accept no on-failure destination (streams and Kafka only); "
                f"failed records of {self.queue.queue_name} are dead-lettered by its redrive policy "
                "or, with the reason attached, by the handler",
            ),
        )
