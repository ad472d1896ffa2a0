"""What a queue consumer does with a record it could not process.

- A poison message (it can never succeed) goes to the DLQ at once, with the reason.
- Any other failure stays on the queue for a retry, and its visibility timeout is extended
  with capped exponential backoff (10 s, 20 s, 40 s, ... up to 900 s), so a struggling
  downstream is not hammered.
- Attempts are counted apart from receives (:mod:`event_runtime.attempts`): a record that was
  received but not tried (held back behind its FIFO group, cut off by a timeout) keeps its
  attempts. On the last attempt (``MAX_ATTEMPTS``) the record is dead-lettered by the handler,
  with the last error as the reason. A record whose attempts ran out without a result (the
  invocation was killed) is dead-lettered before it is tried again, with the last error known.
- The queue's ``maxReceiveCount`` (``MAX_RECEIVE_COUNT``) is a backstop that the handler never
  leaves to SQS: a record that fails on its last receive before it is dead-lettered there is
  dead-lettered by the handler, with the reason. If the attempts table cannot be reached, the
  record is still tried (counting is bookkeeping), and this guard bounds it.

Dead-lettering counts as settling the record: the batch reports it as processed, so SQS
deletes it from the work queue. If the DLQ itself cannot be reached the original error is
raised: the record stays on its queue and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from event_runtime.attempts import (
    Attempt,
    AttemptCounter,
    DynamoDBAttempts,
    ReceiveCountAttempts,
    describe_error,
    receive_count,
)
from event_runtime.backoff import retry_delay_seconds
from event_runtime.dead_letter import dead_letter
from event_runtime.environment import ConsumerSettings
from event_runtime.errors import PoisonMessageError, is_transient

T = TypeVar("T")

POISON = "poison"
EXHAUSTED = "exhausted"
ENDED_WITHOUT_RESULT = "the last attempt ended without a result (the invocation timed out or crashed)"


class AttemptsExhaustedError(Exception):
    """The record used up its attempts and the DLQ could not take it: it stays on its queue."""


@dataclass
class FailurePolicy:
    sqs_client: Any
    queue_url: str
    dead_letter_queue_url: str
    max_attempts: int
    logger: Logger
    attempts: AttemptCounter = field(default_factory=ReceiveCountAttempts)
    #: The queue's maxReceiveCount: on this receive, a failure is dead-lettered here, or SQS moves it without a reason.
    max_receive_count: int | None = None
    #: Asked before a record that ran out of attempts is dead-lettered: True when its effect is already there
    #: (its last attempt succeeded, and the invocation was killed before the record was deleted).
    already_done: Callable[[SQSRecord], bool] | None = None

    @classmethod
    def from_environment(
        cls,
        sqs_client: Any,
        logger: Logger,
        dynamodb_client: Any = None,
        already_done: Callable[[SQSRecord], bool] | None = None,
        settings: ConsumerSettings | None = None,
    ) -> FailurePolicy:
        """The policy QueueConsumer configured (:class:`~event_runtime.environment.ConsumerSettings`, read from
        the environment unless given). Without an attempts table every receive counts as an attempt.
        """
        settings = settings or ConsumerSettings.from_environment()
        attempts: AttemptCounter = ReceiveCountAttempts()
        if settings.attempts_table:
            if dynamodb_client is None:
                import boto3

                dynamodb_client = boto3.client("dynamodb")
            attempts = DynamoDBAttempts(dynamodb_client, settings.attempts_table)
        return cls(
            sqs_client=sqs_client,
            queue_url=settings.queue_url,
            dead_letter_queue_url=settings.dead_letter_queue_url,
            max_attempts=settings.max_attempts,
            logger=logger,
            attempts=attempts,
            max_receive_count=settings.max_receive_count,
            already_done=already_done,
        )

    def run(self, record: SQSRecord, process: Callable[[SQSRecord], T]) -> T | None:
        """``process(record)`` as one counted attempt; on failure settle the record or re-raise for a retry.

        Returns None, processing nothing, when the record was dead-lettered as out of attempts, or was found
        done (``already_done``) when its attempts had run out.
        """
        attempt = self.begin(record)
        if attempt is None:
            return None
        try:
            return process(record)
        except Exception as error:
            if self.settle(record, error, attempt):
                return None
            raise

    def begin(self, record: SQSRecord) -> Attempt | None:
        """Count the attempt about to be made; None when the record was dead-lettered instead (out of attempts).

        Raises when the DLQ cannot take an exhausted record: the record stays on its queue, untried.
        When the attempt cannot be counted (the attempts table fails), the record is tried anyway,
        as if this were its first attempt; the receive-count guard of :meth:`settle` bounds it.
        """
        try:
            attempt = self.attempts.begin(record)
        except Exception as error:
            self.logger.warning(
                "could not count the attempt; trying the record anyway",
                extra={"message_id": record.message_id, "error": describe_error(error)},
            )
            return Attempt(1, counted=False)
        if attempt.number <= self.max_attempts:
            return attempt
        if self._was_done(record):
            self.logger.info(
                "out of attempts, but its last attempt had succeeded: done", extra={"message_id": record.message_id}
            )
            return None
        reason = f"gave up after {attempt.number - 1} attempts: {attempt.last_error or ENDED_WITHOUT_RESULT}"
        if self._dead_letter(record, EXHAUSTED, reason, attempt):
            return None
        raise AttemptsExhaustedError(reason)

    def settle(self, record: SQSRecord, error: Exception, attempt: Attempt | None = None) -> bool:
        """Decide the fate of a record whose attempt failed with ``error``.

        True: the record is in the DLQ with the reason; delete it from its queue.
        False: leave it on its queue for a retry (its visibility has been extended).
        """
        attempt = attempt or Attempt(receive_count(record))
        if isinstance(error, PoisonMessageError):
            if self._dead_letter(record, POISON, f"poison message: {error}", attempt):
                return True
            self._record_failure(record, attempt, error)  # so that, if it comes to that, the reason is this one
            return False
        self._record_failure(record, attempt, error)
        if attempt.number >= self.max_attempts:
            reason = f"gave up after {attempt.number} attempts: {describe_error(error)}"
            return self._dead_letter(record, EXHAUSTED, reason, attempt)
        receives = receive_count(record)
        if self.max_receive_count is not None and receives >= self.max_receive_count:
            reason = (
                f"gave up on receive {receives} of at most {self.max_receive_count} "
                f"({attempt.number} counted attempts): {describe_error(error)}"
            )
            return self._dead_letter(record, EXHAUSTED, reason, attempt)
        # Uncounted (the attempts table failed): the receive count is the best measure of how often it was tried.
        self._back_off(record, attempt.number if attempt.counted else max(attempt.number, receives), error)
        return False

    def _was_done(self, record: SQSRecord) -> bool:
        if self.already_done is None:
            return False
        try:
            return self.already_done(record)
        except Exception as error:  # unknown: dead-letter it (a redrive of a done record changes nothing)
            self.logger.warning(
                "could not tell whether the record was done",
                extra={"message_id": record.message_id, "error": str(error)},
            )
            return False

    def _record_failure(self, record: SQSRecord, attempt: Attempt, error: Exception) -> None:
        if not attempt.counted:
            return
        try:
            self.attempts.failed(record, attempt, error)
        except Exception:  # the count is a little low then; the record is still retried
            self.logger.exception("could not record the failed attempt", extra={"message_id": record.message_id})

    def _dead_letter(self, record: SQSRecord, kind: str, reason: str, attempt: Attempt | None) -> bool:
        try:
            dlq_message_id = dead_letter(
                self.sqs_client,
                self.dead_letter_queue_url,
                record,
                reason,
                kind,
                attempts=None if attempt is None else attempt.number,
            )
        except Exception:
            self.logger.exception(
                "could not dead-letter the message; it stays on its queue",
                extra={"message_id": record.message_id, "reason": reason},
            )
            return False
        self.logger.warning(
            "message dead-lettered",
            extra={
                "message_id": record.message_id,
                "dead_letter_message_id": dlq_message_id,
                "failure_kind": kind,
                "reason": reason,
            },
        )
        return True

    def _back_off(self, record: SQSRecord, attempts: int, error: Exception) -> None:
        delay = retry_delay_seconds(max(0, attempts - 1))
        try:
            self.sqs_client.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=record.receipt_handle, VisibilityTimeout=delay
            )
        except Exception:  # the retry still happens, after the queue's own visibility timeout
            self.logger.exception("could not extend visibility", extra={"message_id": record.message_id})
        self.logger.warning(
            "message will be retried",
            extra={
                "message_id": record.message_id,
                "attempt": attempts,
                "retry_in_seconds": delay,
                "transient": is_transient(error),
                "error": describe_error(error),
            },
        )
