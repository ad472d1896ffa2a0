"""A long-running SQS consumer, for work that does not fit a Lambda function (over 15 minutes, steady
high volume, a container platform): the polling loop done right.

- **Receives** with long polling (20 s, shorter when the drain deadline is short) up to 10 messages at
  a time, one batch ahead of the threads: it asks for the next batch as soon as no message waits for a
  thread (``CONCURRENCY`` tasks are worked on at once: a message, a FIFO group's messages of one receive,
  or a whole receive with ``process_batch``), so no thread idles through a receive; at most ``CONCURRENCY``
  tasks and one receive more wait or are worked on.
- **Deletes** what succeeded with ``DeleteMessageBatch``: one call per received batch in the common
  case, never a message that failed.
- **Heartbeat**: every ``HEARTBEAT_SECONDS`` it extends (``ChangeMessageVisibilityBatch``) the messages
  still in hand whose visibility would run out before the next beat, so a slow message is never
  received again while it is being worked on; it stops extending a message that has been in hand
  ``MAX_IN_HAND_SECONDS``, which SQS then gives out again.
- **Failures**: the same policy as the Lambda consumers (:class:`~event_runtime.failures.FailurePolicy`):
  poison to the DLQ with the reason, a transient failure backed off through its visibility, real attempts
  counted apart from receives, the last attempt dead-lettered with the last error.
- **FIFO**: a message group's messages in a batch are worked on in order, by one thread; after a failure,
  the group's later messages are released untried, and come again after it.
- **Late finishes**: a message let go (released at the drain deadline, or in hand ``MAX_IN_HAND_SECONDS``)
  and then finished is deleted with its old receipt handle, and this worker's waiting copies dropped. SQS
  may not delete a message by an old handle once it was received again (moto does): the new holder then
  works on it again, and handlers stay idempotent. A copy already worked on by another thread goes on.
- **Graceful stop**: on SIGTERM or SIGINT it stops receiving, finishes what is in hand within
  ``DRAIN_SECONDS``, releases (visibility 0) what it could not start or finish, deletes what succeeded,
  and returns.
- **Logs**: Powertools' structured logs, with ``message_id`` and ``correlation_id`` (the message's
  ``correlation_id`` attribute, else its id) on every line logged while a message is worked on.

Each message reaches your code as the :class:`SQSRecord` a Lambda consumer gets, so one ``process``
function serves both.

Example (against moto; in a container the settings come from the environment ``QueueWorkerService``
sets, and ``run()`` returns when the task is told to stop):

    >>> import boto3, json
    >>> from moto import mock_aws
    >>> from aws_lambda_powertools import Logger
    >>> from event_runtime import PoisonMessageError, QueueWorker, WorkerSettings
    >>> def process(record):
    ...     job = json.loads(record.body)
    ...     if "size" not in job:
    ...         raise PoisonMessageError("a job needs a size")
    ...     return job["size"]
    >>> with mock_aws():
    ...     sqs = boto3.client("sqs", region_name="us-east-1")
    ...     queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    ...     dlq = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
    ...     for body in ('{"size": 3}', '{"size": 4}', '{"colour": "red"}'):
    ...         _ = sqs.send_message(QueueUrl=queue, MessageBody=body)
    ...     settings = WorkerSettings(queue_url=queue, dead_letter_queue_url=dlq, max_attempts=3,
    ...         max_receive_count=6, visibility_timeout_seconds=30, heartbeat_seconds=10,
    ...         max_in_hand_seconds=600, drain_seconds=2, concurrency=4, batch_size=10)
    ...     worker = QueueWorker(process, settings=settings, logger=Logger(level="CRITICAL"), sqs_client=sqs)
    ...     report = worker.run(until_idle=True)         # in a container: worker.run()
    ...     (dead,) = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    >>> report.succeeded, report.dead_lettered, report.retried
    (2, 1, 0)
    >>> dead["MessageAttributes"]["failure_reason"]["StringValue"]
    'poison message: a job needs a size'
"""

from __future__ import annotations

import base64
import math
import queue
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from event_runtime.attempts import Attempt, describe_error
from event_runtime.environment import SQS_MAX_BATCH_SIZE, WorkerSettings
from event_runtime.failures import FailurePolicy

#: The longest long poll SQS allows.
MAX_WAIT_SECONDS = 20
#: After a receive fails (throttled, the network), wait this long, doubling up to the maximum.
RECEIVE_RETRY_SECONDS = (1.0, 30.0)
#: After a heartbeat that could not reach SQS, the next comes this soon (or a quarter interval, if sooner).
RETRY_BEAT_SECONDS = 1.0

RecordHandler = Callable[[SQSRecord], Any]
#: A batch handler returns the records that failed, by message id, with their errors (None: all succeeded);
#: raising fails every record of the batch with that error.
BatchHandler = Callable[[list[SQSRecord]], Mapping[str, Exception] | None]

#: A message's states while the worker holds it: waiting for a thread, worked on, its failure being settled by
#: the policy, done with (to delete, its outcome says how), being deleted. The worker then lets go of it:
#: deleted, failed (left on the queue for its retry), released (given back untried, or at the drain deadline),
#: abandoned (in hand ``MAX_IN_HAND_SECONDS``: no longer extended, so the queue gives it out again).
WAITING, WORKING, SETTLING, DONE, DELETING = "waiting", "working", "settling", "done", "deleting"
DELETED, FAILED, RELEASED, ABANDONED = "deleted", "failed", "released", "abandoned"
#: In hand: the worker owns the message's visibility, and the heartbeat extends it when due (the DLQ, the attempts
#: table or a delete can be slow), except once the policy has set it (a backoff: ``_VisibilityInTurn`` records it).
IN_HAND = (WAITING, WORKING, SETTLING, DONE, DELETING)
#: Not yet done with: its batch is not deleted yet.
UNFINISHED = (WAITING, WORKING, SETTLING)
SUCCEEDED, DEAD_LETTERED = "succeeded", "dead-lettered"


def record_from_message(message: Mapping[str, Any], queue_arn: str, region: str) -> SQSRecord:
    """The Lambda event record for a message ``ReceiveMessage`` returned (system and message attributes kept).

    Example:
        >>> record = record_from_message({"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": "{}",
        ...     "Attributes": {"ApproximateReceiveCount": "2", "MessageGroupId": "acct-1"},
        ...     "MessageAttributes": {"correlation_id": {"DataType": "String", "StringValue": "c-9"}}},
        ...     "arn:aws:sqs:eu-west-1:111122223333:jobs.fifo", "eu-west-1")
        >>> record.attributes.approximate_receive_count, record.attributes.message_group_id
        ('2', 'acct-1')
        >>> record.message_attributes["correlation_id"].string_value, record.event_source_arn
        ('c-9', 'arn:aws:sqs:eu-west-1:111122223333:jobs.fifo')
    """
    attributes: dict[str, Any] = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        binary = value.get("BinaryValue")
        attributes[name] = {
            "dataType": value.get("DataType", "String"),
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(binary).decode() if isinstance(binary, bytes | bytearray) else binary,
            "stringListValues": [],
            "binaryListValues": [],
        }
    return SQSRecord(
        {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": dict(message.get("Attributes") or {}),
            "messageAttributes": attributes,
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        }
    )


def correlation_id(record: SQSRecord) -> str:
    """The record's ``correlation_id`` message attribute, else its message id."""
    attribute = (record.raw_event.get("messageAttributes") or {}).get("correlation_id") or {}
    return str(attribute.get("stringValue") or record.message_id)


@dataclass
class InHand:
    """A received message, while the worker holds it."""

    record: SQSRecord
    batch: Batch
    received_at: float
    visible_at: float
    state: str = WAITING
    #: Once done: succeeded, or dead-lettered (settled by the failure policy, or found done when out of attempts).
    outcome: str = ""

    @property
    def receipt_handle(self) -> str:
        return self.record.receipt_handle


@dataclass
class Batch:
    """The messages one receive returned: deleted together when the last of them is done with."""

    items: list[InHand] = field(default_factory=list)

    def finished(self) -> bool:
        return all(item.state not in UNFINISHED for item in self.items)


@dataclass
class WorkerReport:
    """What one :meth:`QueueWorker.run` did, and the SQS requests it made."""

    received: int = 0
    succeeded: int = 0
    dead_lettered: int = 0
    retried: int = 0
    released: int = 0
    #: Deletes SQS refused (the receipt handle had expired): such a message is given out again.
    not_deleted: int = 0
    receive_calls: int = 0
    delete_calls: int = 0
    visibility_calls: int = 0
    heartbeat_extensions: int = 0
    #: Messages the heartbeat stopped extending (in hand ``MAX_IN_HAND_SECONDS``), or SQS would not extend.
    abandoned: int = 0
    #: Messages finished (succeeded or dead-lettered) after they were released or abandoned, then deleted.
    deleted_late: int = 0
    #: Copies of such a message the queue had given this worker again, dropped untried (their work was done).
    dropped_copies: int = 0
    stopped_by: str = ""

    @property
    def sqs_calls(self) -> int:
        return self.receive_calls + self.delete_calls + self.visibility_calls


class QueueWorker:
    """Consume the settings' queue until told to stop: ``process`` per record, or ``process_batch`` per batch.

    ``settings`` default to what ``QueueWorkerService`` set in the environment. ``already_done`` is asked
    before a record that ran out of attempts is dead-lettered (see :class:`FailurePolicy`).

    Per batch (``process_batch``): the handler gets every record of a receive (after each is counted as an
    attempt) and returns the ones that failed, by message id, with their errors; each is settled by the
    failure policy. On a FIFO queue a group's records come in order, and a record after a failed one of its
    group is released untried even when the handler reported it done: skip them.
    """

    def __init__(
        self,
        process: RecordHandler | None = None,
        *,
        process_batch: BatchHandler | None = None,
        logger: Logger,
        settings: WorkerSettings | None = None,
        sqs_client: Any = None,
        dynamodb_client: Any = None,
        already_done: Callable[[SQSRecord], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if (process is None) == (process_batch is None):
            raise TypeError("QueueWorker takes one handler: process (per record) or process_batch (per batch)")
        self.process = process
        self.process_batch = process_batch
        self.logger = logger
        self._settings = settings
        self._sqs_client = sqs_client
        self._dynamodb_client = dynamodb_client
        self._already_done = already_done
        self._clock = clock
        self._lock = threading.Condition()
        #: Held around every visibility change of a message in hand (the heartbeat's, a release, the policy's
        #: backoff), with the choice of what to change: a later change never lands before an earlier one.
        self._visibility = threading.RLock()
        self._in_hand: list[InHand] = []
        self._work: queue.Queue[list[InHand] | None] = queue.Queue()
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        #: Receipt handles whose visibility the failure policy set (a backoff): never extended after that.
        self._policy_set_visibility: set[str] = set()
        #: Tasks (a message, a FIFO group, a batch) given to the threads and not finished.
        self._open_tasks = 0
        self._stop_deadline: float | None = None
        self.report = WorkerReport()

    # -- set-up --------------------------------------------------------------------------------------

    @cached_property
    def settings(self) -> WorkerSettings:
        return self._settings or WorkerSettings.from_environment()

    @cached_property
    def sqs(self) -> Any:
        if self._sqs_client is not None:
            return self._sqs_client
        import boto3

        return boto3.client("sqs")

    @cached_property
    def policy(self) -> FailurePolicy:
        sqs = _VisibilityInTurn(self.sqs, self._visibility, self._policy_set_visibility)
        return FailurePolicy.from_environment(
            sqs, self.logger, self._dynamodb_client, self._already_done, settings=self.settings
        )

    @cached_property
    def _queue_arn(self) -> str:
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.settings.queue_url, AttributeNames=["QueueArn"])
        return str(attributes["Attributes"]["QueueArn"])

    @property
    def fifo(self) -> bool:
        return self._queue_arn.endswith(".fifo")

    @property
    def poll_seconds(self) -> int:
        """The long poll: 20 s, or half the drain deadline when that is shorter (a stop never waits on a poll)."""
        return max(1, min(MAX_WAIT_SECONDS, self.settings.drain_seconds // 2))

    # -- running -------------------------------------------------------------------------------------

    def stop(self, reason: str = "stop()") -> None:
        """Stop receiving; :meth:`run` finishes what is in hand within the drain deadline and returns."""
        with self._lock:
            if not self._stopping.is_set():
                self.report.stopped_by = reason
                self._stop_deadline = self._clock() + self.settings.drain_seconds
                self._stopping.set()
                self._lock.notify_all()
        self.logger.info("stopping", extra={"reason": reason, "drain_seconds": self.settings.drain_seconds})

    def run(self, *, until_idle: bool = False) -> WorkerReport:
        """Receive and work until :meth:`stop`, SIGTERM or SIGINT (``until_idle``: also once the queue is empty).

        Returns what it did; every message it received is then deleted (done with) or back on the queue.
        """
        settings = self.settings
        self.policy  # noqa: B018 - read the settings and make the clients before the first receive
        region = self.sqs.meta.region_name
        queue_arn = self._queue_arn
        previous_handlers = self._install_signal_handlers()
        threads = [
            threading.Thread(target=self._work_loop, name=f"queue-worker-{n}", daemon=True)
            for n in range(settings.concurrency)
        ]
        heartbeat = threading.Thread(target=self._heartbeat_loop, name="queue-worker-heartbeat", daemon=True)
        for thread in (*threads, heartbeat):
            thread.start()
        self.logger.info(
            "worker started",
            extra={"queue_url": settings.queue_url, "fifo": self.fifo, "concurrency": settings.concurrency},
        )
        try:
            self._receive_loop(queue_arn, region, until_idle)
            if not self._stopping.is_set():
                self.stop(self.report.stopped_by or "idle")
            self._drain()
        finally:
            for _ in threads:
                self._work.put(None)
            self._stopped.set()
            heartbeat.join(timeout=1)
            self._restore_signal_handlers(previous_handlers)
        self.logger.info("worker stopped", extra={"report": self.report.__dict__})
        return self.report

    def _install_signal_handlers(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, Any] = {}
        for number in (signal.SIGTERM, signal.SIGINT):
            previous[number] = signal.signal(number, lambda signum, _: self.stop(signal.Signals(signum).name))
        return previous

    @staticmethod
    def _restore_signal_handlers(previous: dict[int, Any]) -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    def _receive_loop(self, queue_arn: str, region: str, until_idle: bool) -> None:
        settings = self.settings
        retry_in = RECEIVE_RETRY_SECONDS[0]
        while not self._stopping.is_set():
            with self._lock:  # one batch ahead: receive while no task waits for a thread (so none idles on a poll)
                while not self._stopping.is_set() and self._open_tasks > settings.concurrency:
                    self._lock.wait(timeout=1.0)
            if self._stopping.is_set():
                return
            with self._lock:  # idle means: a receive asked when nothing was in hand found nothing
                nothing_in_hand = not self._in_hand and self._open_tasks == 0
            try:
                asked_at = self._clock()  # SQS starts a message's visibility before the answer arrives
                messages = self._receive()
            except Exception as error:
                self.logger.warning(
                    "could not receive; trying again",
                    extra={"error": describe_error(error), "retry_in_seconds": retry_in},
                )
                self._stopping.wait(retry_in)
                retry_in = min(retry_in * 2, RECEIVE_RETRY_SECONDS[1])
                continue
            retry_in = RECEIVE_RETRY_SECONDS[0]
            if not messages:
                with self._lock:
                    if until_idle and nothing_in_hand and not self._in_hand:
                        self.report.stopped_by = "idle"
                        return
                continue
            batch = self._take(messages, queue_arn, region, asked_at)
            if self._stopping.is_set():  # received during the stop: not started, so back it goes
                self._release(batch.items, "the worker is stopping")
                return
            for task in self._tasks(batch):
                with self._lock:
                    self._open_tasks += 1
                self._work.put(task)

    def _receive(self) -> list[dict[str, Any]]:
        settings = self.settings
        parameters: dict[str, Any] = {
            "QueueUrl": settings.queue_url,
            "MaxNumberOfMessages": min(settings.batch_size, SQS_MAX_BATCH_SIZE),
            "WaitTimeSeconds": self.poll_seconds,
            "VisibilityTimeout": settings.visibility_timeout_seconds,
            "MessageSystemAttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
        }
        if self.fifo:  # a retried receive (boto3 retries) gets the same messages back, not new ones
            parameters["ReceiveRequestAttemptId"] = uuid.uuid4().hex
        self.report.receive_calls += 1
        return list(self.sqs.receive_message(**parameters).get("Messages") or [])

    def _take(self, messages: Sequence[Mapping[str, Any]], queue_arn: str, region: str, asked_at: float) -> Batch:
        """The received messages, held: their visibility counted from when the receive was asked (SQS starts it
        somewhere before the answer: the early end is the safe one), their time in hand from the answer (so
        ``MAX_IN_HAND_SECONDS`` is never cut short by a slow request)."""
        answered_at = self._clock()
        batch = Batch()
        for message in messages:
            record = record_from_message(message, queue_arn, region)
            visible_at = asked_at + self.settings.visibility_timeout_seconds
            batch.items.append(InHand(record, batch, answered_at, visible_at))
        with self._lock:
            self._in_hand.extend(batch.items)
            self.report.received += len(batch.items)
        return batch

    def _tasks(self, batch: Batch) -> list[list[InHand]]:
        """What one thread works on: the whole batch (per batch), a message group in order (FIFO), or a message."""
        if self.process_batch is not None:
            return [batch.items]
        if not self.fifo:
            return [[item] for item in batch.items]
        groups: dict[str, list[InHand]] = {}
        for item in batch.items:
            groups.setdefault(item.record.attributes.message_group_id or "", []).append(item)
        return list(groups.values())

    # -- working -------------------------------------------------------------------------------------

    def _work_loop(self) -> None:
        while (task := self._work.get()) is not None:
            try:
                if self.process_batch is not None:
                    self._work_on_batch(task)
                else:
                    self._work_on_records(task)
            except BaseException:  # the worker's own fault, or a handler's SystemExit: the thread goes on;
                # nothing is deleted, and the queue gives the messages out again after their visibility.
                self.logger.exception("could not work on the messages; they stay on the queue")
                with self._lock:
                    self.report.retried += sum(item.state in UNFINISHED for item in task)
                self._let_go(task, FAILED, from_states=UNFINISHED)
            finally:
                self._delete_finished_batches(task)
                with self._lock:
                    self._open_tasks -= 1
                    self._lock.notify_all()

    def _group(self, item: InHand) -> str | None:
        return (item.record.attributes.message_group_id or "") if self.fifo else None

    def _work_on_records(self, task: list[InHand]) -> None:
        """One message, or a FIFO group's messages in order: after a failure the group's later ones go back."""
        assert self.process is not None
        for position, item in enumerate(task):
            if not self._move(item, (WAITING,), WORKING):
                continue  # released by a stop
            with self._logging_keys(item.record):
                try:
                    attempt = self.policy.begin(item.record)
                except Exception as error:  # out of attempts, and the DLQ refused it: it stays on the queue
                    self._failed(item, error, task[position + 1 :])
                    return
                if attempt is None:  # dead-lettered as out of attempts (or found done)
                    self._finish(item, DEAD_LETTERED)
                    continue
                try:
                    self.process(item.record)
                except Exception as error:
                    if self._settle(item, error, attempt):
                        continue
                    self._failed(item, error, task[position + 1 :])
                    return
                self._finish(item, SUCCEEDED)

    def _work_on_batch(self, task: list[InHand]) -> None:
        """A receive's records to the batch handler; a FIFO group's records after a failed one go back untried."""
        assert self.process_batch is not None
        started: list[tuple[InHand, Attempt]] = []
        failed_groups: set[str] = set()
        for item in task:
            group = self._group(item)
            if group is not None and group in failed_groups:
                self._release([item], "an earlier message of its group failed")
                continue
            if not self._move(item, (WAITING,), WORKING):
                continue
            try:
                attempt = self.policy.begin(item.record)
            except Exception as error:  # out of attempts, and the DLQ refused it: it stays on the queue
                self._failed(item, error)
                if group is not None:
                    failed_groups.add(group)
                continue
            if attempt is None:
                self._finish(item, DEAD_LETTERED)
                continue
            started.append((item, attempt))
        if not started:
            return
        records = [item.record for item, _ in started]
        try:
            failures: Mapping[str, Exception] = self.process_batch(records) or {}
        except Exception as error:
            failures = {record.message_id: error for record in records}
        for item, attempt in started:
            group = self._group(item)
            if group is not None and group in failed_groups:
                self._release([item], "an earlier message of its group failed", states=(WORKING,))
                continue
            failure = failures.get(item.record.message_id)
            if failure is None:
                self._finish(item, SUCCEEDED)
                continue
            with self._logging_keys(item.record):
                if self._settle(item, failure, attempt):
                    continue
                self._failed(item, failure)
            if group is not None:
                failed_groups.add(group)

    @contextmanager
    def _logging_keys(self, record: SQSRecord) -> Iterator[None]:
        self.logger.thread_safe_append_keys(message_id=record.message_id, correlation_id=correlation_id(record))
        try:
            yield
        finally:
            self.logger.thread_safe_remove_keys(["message_id", "correlation_id"])

    def _move(self, item: InHand, from_states: Sequence[str], to_state: str) -> bool:
        """Move ``item`` to ``to_state`` if it is in one of ``from_states``; False otherwise (it was let go)."""
        with self._lock:
            if item.state not in from_states:
                return False
            item.state = to_state
            return True

    def _settle(self, item: InHand, error: Exception, attempt: Attempt) -> bool:
        """The policy's decision on a failed attempt; True when the record was dead-lettered (and is done)."""
        self._move(item, (WORKING,), SETTLING)  # the heartbeat leaves its visibility to the policy now
        if self.policy.settle(item.record, error, attempt):
            self._finish(item, DEAD_LETTERED)
            return True
        return False

    def _finish(self, item: InHand, outcome: str) -> None:
        """``item`` succeeded or was dead-lettered: done, to be deleted; if it was let go meanwhile (released at
        the drain deadline, abandoned), it is deleted now: its work is done, whoever holds it."""
        with self._lock:
            if item.state in (WORKING, SETTLING):
                item.state, item.outcome = DONE, outcome
                return
            late = item.state in (RELEASED, ABANDONED)
        if late:
            try:
                self.sqs.delete_message(QueueUrl=self.settings.queue_url, ReceiptHandle=item.receipt_handle)
            except Exception as error:  # it was given out again: the next holder's work is a repeat, no more
                self.logger.warning(
                    "finished after it was let go, and could not be deleted: it will be worked on again",
                    extra={"message_id": item.record.message_id, "error": describe_error(error)},
                )
                return
            with self._lock:
                self.report.deleted_late += 1
                # The queue may have given it to this worker again meanwhile: that copy's work is done already.
                copies = [
                    other
                    for other in self._in_hand
                    if other.record.message_id == item.record.message_id and other.state == WAITING
                ]
                for copy in copies:
                    copy.state = DELETED
                self.report.dropped_copies += len(copies)
                self._in_hand = [other for other in self._in_hand if other.state in IN_HAND]
                self._lock.notify_all()

    def _failed(self, item: InHand, error: Exception, rest_of_group: Sequence[InHand] = ()) -> None:
        """The policy left ``item`` on the queue (its visibility backed off): let go of it, and release the
        rest of its group (a FIFO group keeps its order: they come again after it)."""
        with self._lock:
            if item.state in (WORKING, SETTLING):
                self.report.retried += 1
        self._let_go([item], FAILED, from_states=(WORKING, SETTLING))
        self._release(rest_of_group, "an earlier message of its group failed")

    def _let_go(self, items: Sequence[InHand], state: str, from_states: Sequence[str] = IN_HAND) -> None:
        with self._lock:
            for item in items:
                if item.state in from_states:
                    item.state = state
                    self._policy_set_visibility.discard(item.receipt_handle)
            self._in_hand = [item for item in self._in_hand if item.state in IN_HAND]
            self._lock.notify_all()

    def _delete_finished_batches(self, task: list[InHand]) -> None:
        """Delete the done messages of the batches this task finished: one call per batch, most often."""
        batches = {id(item.batch): item.batch for item in task}
        with self._lock:
            ready = [batch for batch in batches.values() if batch.finished()]
            to_delete = self._claim_done([item for batch in ready for item in batch.items])
        self._delete(to_delete)

    def _claim_done(self, items: Sequence[InHand]) -> list[InHand]:
        """The done ones among ``items``, marked as being deleted (so that no other thread deletes them too)."""
        claimed = [item for item in items if item.state == DONE]
        for item in claimed:
            item.state = DELETING
        return claimed

    def _delete(self, items: Sequence[InHand]) -> None:
        for start in range(0, len(items), SQS_MAX_BATCH_SIZE):
            chunk = items[start : start + SQS_MAX_BATCH_SIZE]
            entries = [{"Id": str(n), "ReceiptHandle": item.receipt_handle} for n, item in enumerate(chunk)]
            with self._lock:
                self.report.delete_calls += 1
            try:
                response = self.sqs.delete_message_batch(QueueUrl=self.settings.queue_url, Entries=entries)
            except Exception as error:
                if self._past_deadline():  # stopping: no more tries; they come back after their visibility
                    self.logger.warning("could not delete messages", extra={"error": describe_error(error)})
                    with self._lock:
                        self.report.not_deleted += sum(item.state == DELETING for item in chunk)
                    self._let_go(chunk, FAILED, from_states=(DELETING,))
                    continue
                # Kept in hand, done: the next heartbeat (or the drain) tries again.
                self.logger.warning("could not delete messages; trying again", extra={"error": describe_error(error)})
                for item in chunk:
                    self._move(item, (DELETING,), DONE)
                continue
            refused = {entry["Id"] for entry in response.get("Failed") or []}
            with self._lock:
                for n, item in enumerate(chunk):
                    if str(n) in refused:
                        self.report.not_deleted += 1
                    elif item.outcome == DEAD_LETTERED:
                        self.report.dead_lettered += 1
                    else:
                        self.report.succeeded += 1
            if refused:
                self.logger.warning(
                    "SQS refused to delete messages (their receipt handles had expired): they will come again",
                    extra={"failed": response.get("Failed")},
                )
            self._let_go(chunk, DELETED, from_states=(DELETING,))

    def _release(self, items: Sequence[InHand], why: str, states: Sequence[str] = (WAITING,)) -> None:
        """Give back to the queue at once (visibility 0) those of ``items`` still in one of ``states``."""
        with self._lock:
            items = [item for item in items if item.state in states]
            for item in items:
                item.state = RELEASED  # no thread starts it now, and no later beat extends it
            self.report.released += len(items)
        if not items:
            return
        with self._visibility:  # after an extension a beat chose before the release, never before it
            self._change_visibility(items, 0)
        self.logger.info("messages released", extra={"count": len(items), "why": why})
        self._let_go(items, RELEASED, from_states=(RELEASED,))

    def _change_visibility(self, items: Sequence[InHand], seconds: int) -> tuple[list[InHand], list[InHand], bool]:
        """Set the visibility of ``items`` to ``seconds`` from now: (accepted, refused by SQS, every call got
        through)."""
        accepted: list[InHand] = []
        refused_items: list[InHand] = []
        through = True
        for start in range(0, len(items), SQS_MAX_BATCH_SIZE):
            chunk = items[start : start + SQS_MAX_BATCH_SIZE]
            entries = [
                {"Id": str(n), "ReceiptHandle": item.receipt_handle, "VisibilityTimeout": seconds}
                for n, item in enumerate(chunk)
            ]
            with self._lock:
                self.report.visibility_calls += 1
            try:
                response = self.sqs.change_message_visibility_batch(QueueUrl=self.settings.queue_url, Entries=entries)
            except Exception as error:
                self.logger.warning("could not change visibility", extra={"error": describe_error(error)})
                through = False
                continue
            failed = response.get("Failed") or []
            refused = {entry["Id"] for entry in failed if entry.get("SenderFault", True)}
            server_side = {entry["Id"] for entry in failed} - refused
            through = through and not server_side  # SQS's own fault: the next (quick) beat tries again
            accepted.extend(item for n, item in enumerate(chunk) if str(n) not in refused | server_side)
            refused_items.extend(item for n, item in enumerate(chunk) if str(n) in refused)
            if failed:
                self.logger.warning("SQS refused a visibility change", extra={"failed": failed})
        return accepted, refused_items, through

    # -- heartbeat and stop --------------------------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        """A beat every ``HEARTBEAT_SECONDS``; after a beat that could not reach SQS, another within a second."""
        interval = float(self.settings.heartbeat_seconds)
        next_beat = self._clock() + interval
        while not self._stopped.wait(max(0.0, next_beat - self._clock())):
            started = self._clock()
            try:
                through = self.beat()
            except Exception:
                self.logger.exception("heartbeat failed")
                through = False
            # At a fixed rate (a slow beat does not push the next one back), sooner after one that failed.
            next_beat = started + (interval if through else min(RETRY_BEAT_SECONDS, interval / 4))

    def beat(self) -> bool:
        """Extend the messages in hand whose visibility would run out before the next beat (with half an interval
        to spare), up to ``MAX_IN_HAND_SECONDS`` from their receive; then delete what is done.

        Returns whether every extension due got through to SQS.
        """
        settings = self.settings
        abandoned: list[InHand] = []
        with self._lock:  # deleted after the extensions: a slow delete must not hold them up
            done = self._claim_done(self._in_hand)
        with self._visibility:
            now = self._clock()
            # The next beat comes in one interval; half an interval more covers a late one. (Not two intervals:
            # with the heartbeat at half the visibility, that would extend every message at every beat.)
            horizon = now + settings.heartbeat_seconds * 1.5
            extend: dict[int, list[InHand]] = {}
            with self._lock:
                for item in self._in_hand:
                    if item.state not in IN_HAND or item.visible_at >= horizon:
                        continue
                    if item.receipt_handle in self._policy_set_visibility:
                        continue
                    left = math.ceil(settings.max_in_hand_seconds - (now - item.received_at))
                    if left >= 1:
                        extend.setdefault(min(settings.visibility_timeout_seconds, left), []).append(item)
                    elif item.state in (WAITING, WORKING):  # (one done with is deleted below)
                        item.state = ABANDONED
                        abandoned.append(item)
                self.report.abandoned += len(abandoned)
            through = True
            for seconds, items in extend.items():
                accepted, refused, got_through = self._change_visibility(items, seconds)
                through = through and got_through
                with self._lock:
                    for item in accepted:
                        item.visible_at = now + seconds
                    self.report.heartbeat_extensions += len(accepted)
                    for item in refused:  # its receipt handle is stale: it was given out again
                        if item.state in (WAITING, WORKING):
                            item.state = ABANDONED
                            abandoned.append(item)
                            self.report.abandoned += 1
        for item in abandoned:
            self.logger.warning(
                "no longer extended (in hand too long, or SQS would not): the queue gives it out again",
                extra={"message_id": item.record.message_id, "held_seconds": round(now - item.received_at)},
            )
        self._let_go(abandoned, ABANDONED, from_states=(ABANDONED,))
        self._delete(done)
        return through

    def _move_all(self, items: Sequence[InHand], from_state: str, to_state: str) -> None:
        for item in items:
            if item.state == from_state:
                item.state = to_state

    def _past_deadline(self) -> bool:
        return self._stop_deadline is not None and self._clock() >= self._stop_deadline

    def _drain(self) -> None:
        """Release what was not started; finish (and delete) what is being worked on until the deadline; then
        release what is still being worked on and delete what is done."""
        with self._lock:
            waiting = list(self._in_hand)
        self._release(waiting, "the worker is stopping")
        while True:
            with self._lock:
                done = self._claim_done(self._in_hand)
                busy = any(item.state in (WORKING, SETTLING, DELETING) for item in self._in_hand)
                if (not done and not busy) or self._past_deadline():
                    self._move_all(done, DELETING, DONE)
                    break
            self._delete(done)
            with self._lock:
                self._lock.wait(timeout=0.1)
        with self._lock:
            unfinished = list(self._in_hand)
        self._release(unfinished, "the worker stopped before it was done", states=(WAITING, WORKING))
        with self._lock:
            done = self._claim_done(self._in_hand)
        self._delete(done)


class _VisibilityInTurn:
    """The SQS client the failure policy is given: its visibility changes (a backoff) take their turn with the
    heartbeat's, so an extension chosen before the backoff never lands after it, and are recorded, so that no
    later beat extends that message again."""

    def __init__(self, client: Any, turn: threading.RLock, set_by_policy: set[str]) -> None:
        self._client = client
        self._turn = turn
        self._set_by_policy = set_by_policy

    def change_message_visibility(self, **parameters: Any) -> Any:
        with self._turn:
            self._set_by_policy.add(str(parameters.get("ReceiptHandle")))
            return self._client.change_message_visibility(**parameters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)
