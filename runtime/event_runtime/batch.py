"""A queue consumer's batch, on Powertools' batch processor, with the failure policy around every record.

- A standard queue's batch uses ``BatchProcessor``: each failed record is reported alone
  (``batchItemFailures``), the others are deleted.
- A FIFO queue's batch uses ``SqsFifoPartialProcessor(skip_group_on_error=True)``: after a record
  of a message group fails, the group's later records in the batch are not tried and go back too,
  so the group keeps its order; other groups go on.
- Each record runs through :class:`~event_runtime.failures.FailurePolicy`: poison to the DLQ with
  the reason, transient failures back off, real attempts counted, the last one dead-lettered
  with the last error.

Example, a handler module (``process`` is your code, one record at a time):

    >>> import boto3, json
    >>> from moto import mock_aws
    >>> from aws_lambda_powertools import Logger
    >>> from event_runtime import BatchConsumer, ConsumerSettings, PoisonMessageError
    >>> def process(record):
    ...     job = json.loads(record.body)
    ...     if "size" not in job:
    ...         raise PoisonMessageError("a job needs a size")
    ...     return job["size"]
    >>> with mock_aws():
    ...     sqs = boto3.client("sqs", region_name="us-east-1")
    ...     queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    ...     dlq = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
    ...     settings = ConsumerSettings(queue_url=queue, dead_letter_queue_url=dlq, max_attempts=3,
    ...                                 max_receive_count=5)   # in Lambda: read from the environment
    ...     consumer = BatchConsumer(process, logger=Logger(level="CRITICAL"), settings=settings, sqs_client=sqs)
    ...     records = [{"messageId": str(n), "receiptHandle": f"h-{n}", "body": body, "attributes": {},
    ...                 "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:jobs"}
    ...                for n, body in enumerate(['{"size": 3}', '{"colour": "red"}'])]
    ...     event = {"Records": records}
    ...     response = consumer(event, None)           # in Lambda: def lambda_handler(event, context): ...
    ...     (dead,) = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    >>> response                                       # nothing to retry: the poison job is in the DLQ
    {'batchItemFailures': []}
    >>> dead["MessageAttributes"]["failure_reason"]["StringValue"]
    'poison message: a job needs a size'
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    SqsFifoPartialProcessor,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.base import BasePartialBatchProcessor
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from event_runtime.environment import ConsumerSettings
from event_runtime.failures import FailurePolicy


def batch_processor(*, fifo: bool) -> BasePartialBatchProcessor:
    """The processor that keeps a FIFO group's order (``fifo``) or reports each failed record alone."""
    # Either way, failures are reported per record (batchItemFailures) even when every record of a batch
    # fails: raising would turn a routine retry into an invocation error (and an alarm).
    if fifo:
        processor = SqsFifoPartialProcessor(skip_group_on_error=True)
        processor.raise_on_entire_batch_failure = False
        return processor
    return BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def from_fifo_queue(event: dict[str, Any]) -> bool:
    """Whether the batch comes from a FIFO queue, as its records' ``eventSourceARN`` says (an ARN ending ``.fifo``).

    A batch comes from one queue: the records decide, not the function's configuration, so a function
    that consumes a FIFO queue keeps each group's order whatever else it consumes.
    """
    return any(str(record.get("eventSourceARN", "")).endswith(".fifo") for record in event.get("Records", []))


def process_batch(
    event: dict[str, Any], context: Any, record_handler: Callable[[SQSRecord], Any]
) -> PartialItemFailureResponse:
    """Run ``record_handler`` over the batch in ``event``; the records it raised for go back to the queue.

    ``record_handler`` settles its own failures (for example :meth:`BatchConsumer.handle` does, with the
    failure policy): whatever it raises is reported as a batch item failure. A FIFO queue's batch keeps
    each message group's order (:func:`from_fifo_queue`).
    """
    processor = batch_processor(fifo=from_fifo_queue(event))
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


class BatchConsumer:
    """A consumer's Lambda handler: ``process`` for each record, the failure policy around it.

    ``settings`` default to what QueueConsumer set in the environment, read on first use (so a handler
    module can build its consumer at import). ``already_done`` is asked before a record that ran out of
    attempts is dead-lettered: True when its effect is there already (see :class:`FailurePolicy`).
    """

    def __init__(
        self,
        process: Callable[[SQSRecord], Any],
        *,
        logger: Logger,
        settings: ConsumerSettings | None = None,
        already_done: Callable[[SQSRecord], bool] | None = None,
        sqs_client: Any = None,
        dynamodb_client: Any = None,
    ) -> None:
        self.process = process
        self.logger = logger
        self._settings = settings
        self._already_done = already_done
        self._sqs_client = sqs_client
        self._dynamodb_client = dynamodb_client

    @cached_property
    def settings(self) -> ConsumerSettings:
        return self._settings or ConsumerSettings.from_environment()

    @cached_property
    def policy(self) -> FailurePolicy:
        sqs_client = self._sqs_client
        if sqs_client is None:
            import boto3

            sqs_client = boto3.client("sqs")
        return FailurePolicy.from_environment(
            sqs_client, self.logger, self._dynamodb_client, self._already_done, settings=self.settings
        )

    def handle(self, record: SQSRecord) -> Any:
        """One record as one counted attempt; a failure is settled by the policy or raised for a retry."""
        return self.policy.run(record, self.process)

    def __call__(self, event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
        return process_batch(event, context, self.handle)
