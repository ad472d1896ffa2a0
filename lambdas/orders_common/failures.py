"""What a queue consumer does with a record it could not process.

- A poison message (it can never succeed) goes to the DLQ at once, with the reason.
- Any other failure stays on the queue for a retry, and its visibility timeout is extended
  with capped exponential backoff (10 s, 20 s, 40 s, ... up to 900 s), so a struggling
  downstream is not hammered.
- On the last attempt (receive count = the queue's maxReceiveCount) the record is
  dead-lettered by the handler, with the last error as the reason, instead of by SQS
  without one.

Dead-lettering counts as settling the record: the batch reports it as processed, so SQS
deletes it from the work queue. If the DLQ itself cannot be reached the original error is
raised: the record stays on its queue and nothing is lost.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from orders_common.backoff import retry_delay_seconds
from orders_common.dead_letter import dead_letter, receive_count
from orders_common.errors import PoisonMessageError, is_transient

T = TypeVar("T")

POISON = "poison"
EXHAUSTED = "exhausted"


@dataclass
class FailurePolicy:
    sqs_client: Any
    queue_url: str
    dead_letter_queue_url: str
    max_receive_count: int
    logger: Logger

    @classmethod
    def from_environment(cls, sqs_client: Any, logger: Logger) -> FailurePolicy:
        """Read QUEUE_URL, DEAD_LETTER_QUEUE_URL and MAX_RECEIVE_COUNT (set by QueueConsumer)."""
        return cls(
            sqs_client=sqs_client,
            queue_url=os.environ["QUEUE_URL"],
            dead_letter_queue_url=os.environ["DEAD_LETTER_QUEUE_URL"],
            max_receive_count=int(os.environ.get("MAX_RECEIVE_COUNT", "5")),
            logger=logger,
        )

    def run(self, record: SQSRecord, process: Callable[[SQSRecord], T]) -> T | None:
        """``process(record)``; on failure settle the record in the DLQ or re-raise for a retry."""
        try:
            return process(record)
        except Exception as error:
            if self.settle(record, error):
                return None
            raise

    def settle(self, record: SQSRecord, error: Exception) -> bool:
        """Decide the fate of a record that failed with ``error``.

        True: the record is in the DLQ with the reason; delete it from its queue.
        False: leave it on its queue for a retry (its visibility has been extended).
        """
        if isinstance(error, PoisonMessageError):
            return self._dead_letter(record, POISON, f"poison message: {error}")
        attempts = receive_count(record)
        if attempts >= self.max_receive_count:
            reason = f"gave up after {attempts} attempts: {type(error).__name__}: {error}"
            return self._dead_letter(record, EXHAUSTED, reason)
        self._back_off(record, attempts, error)
        return False

    def _dead_letter(self, record: SQSRecord, kind: str, reason: str) -> bool:
        try:
            dlq_message_id = dead_letter(self.sqs_client, self.dead_letter_queue_url, record, reason, kind)
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
        delay = retry_delay_seconds(attempts - 1)
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
                "error": f"{type(error).__name__}: {error}",
            },
        )
