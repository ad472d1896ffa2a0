"""QueueWorker's claims under races: each test is a counterexample a review found, kept as a regression test.

Each injects latency or a failure into one SQS call (the heartbeat's, a delete) or times a stop, so
that two of the worker's threads act on one message at once; moto, visibility 2 s, heartbeat 1 s.
The claims: nothing received is lost or deleted unfinished; a message worked on is not given out again
before ``MAX_IN_HAND_SECONDS`` (one failed or slow heartbeat call included); a backoff or a release is
never undone by the heartbeat; a FIFO group keeps its order; a report counts each message once.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from event_runtime import PoisonMessageError, QueueWorker, TransientError
from tests.event_runtime.worker_harness import dead_letters, queues, quiet, receivable, send, settings

HEARTBEAT = "queue-worker-heartbeat"


def join_worker_threads(timeout: float = 10) -> None:
    """Wait for the worker's (daemon) threads: they go on after run() returned."""
    for thread in threading.enumerate():
        if thread.name.startswith("queue-worker-"):
            thread.join(timeout)


def accounted(report: Any) -> int:
    return (
        report.succeeded
        + report.dead_lettered
        + report.retried
        + report.released
        + report.abandoned
        + report.not_deleted
        + report.dropped_copies
    )


class Client:
    """The SQS client with some calls replaced (slow, failing): the rest go to moto."""

    def __init__(self, real: Any, **overrides: Any) -> None:
        self._real = real
        self._overrides = overrides

    def __getattr__(self, name: str) -> Any:
        return self._overrides.get(name) or getattr(self._real, name)


class Receipts:
    """Every receive of the queue's messages, by the worker or by another consumer, in seconds from the first."""

    def __init__(self, sqs: Any, queue: str) -> None:
        self.sqs, self.queue = sqs, queue
        self.lock = threading.Lock()
        self.seen: list[tuple[float, str, str]] = []  # (time, who, body)
        self.t0: float | None = None

    def _note(self, who: str, messages: list[dict[str, Any]]) -> None:
        with self.lock:
            for m in messages:
                if self.t0 is None:
                    self.t0 = time.monotonic()
                self.seen.append((time.monotonic() - self.t0, who, m["Body"]))

    def worker_receive(self, **kwargs: Any) -> Any:
        response = self.sqs.receive_message(**kwargs)
        self._note("worker", response.get("Messages") or [])
        return response

    def watch_from(self, delay: float, seconds: float) -> threading.Thread:
        def another_consumer() -> None:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                self._note("other", self.sqs.receive_message(QueueUrl=self.queue).get("Messages") or [])
                time.sleep(0.05)

        thread = threading.Timer(delay, another_consumer)
        thread.start()
        self.thread = thread
        return thread

    def given_out_again(self) -> list[tuple[float, str, str]]:
        self.thread.join()
        first: set[str] = set()
        again = []
        for when, who, body in sorted(self.seen):
            if body in first:
                again.append((round(when, 2), who, body))
            first.add(body)
        return again


# -- claim 2/3: the heartbeat undoes a backoff (and a release) ---------------------------------------


def test_the_heartbeat_does_not_undo_the_backoff_of_a_failed_message(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["flaky"])

    def heartbeat_visibility(**kwargs: Any) -> Any:
        if threading.current_thread().name == HEARTBEAT:
            time.sleep(0.8)  # the heartbeat's ChangeMessageVisibilityBatch takes 0.8 s (network, retries)
        return sqs.change_message_visibility_batch(**kwargs)

    def process(record: SQSRecord) -> None:
        time.sleep(1.4)  # the beat at ~1.0 s picks it (in hand, due), its call lands at ~1.8 s
        raise TransientError("downstream throttled")  # backed off 10 s at ~1.4 s

    client = Client(sqs, change_message_visibility_batch=heartbeat_visibility)
    started = time.monotonic()
    report = QueueWorker(process, settings=settings(queue, dlq), logger=quiet(), sqs_client=client).run(until_idle=True)
    assert report.retried == 1
    time.sleep(max(0.0, started + 4.5 - time.monotonic()))
    # Backed off 10 s at 1.4 s: still invisible at 4.5 s.
    assert receivable(sqs, queue) == []


def test_the_heartbeat_does_not_undo_a_release_on_stop(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["one", "two"])

    def heartbeat_visibility(**kwargs: Any) -> Any:
        if threading.current_thread().name == HEARTBEAT:
            time.sleep(0.8)
        return sqs.change_message_visibility_batch(**kwargs)

    started_bodies: list[str] = []

    def process(record: SQSRecord) -> None:
        started_bodies.append(record.body)
        time.sleep(1.5)

    client = Client(sqs, change_message_visibility_batch=heartbeat_visibility)
    worker = QueueWorker(process, settings=settings(queue, dlq, concurrency=1), logger=quiet(), sqs_client=client)
    threading.Timer(1.2, worker.stop).start()  # after the beat at ~1.0 s picked both messages
    report = worker.run()
    assert report.released == 1
    time.sleep(0.3)
    # Released (visibility 0) at ~1.2 s: another task can have it now.
    assert receivable(sqs, queue) == [b for b in ("one", "two") if b not in started_bodies]


# -- claim 2: a single failed heartbeat call gives the message out while it is worked on ---------------


def test_one_failed_heartbeat_call_loses_nothing(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["slow"])
    calls = {"n": 0}

    def heartbeat_visibility(**kwargs: Any) -> Any:
        if threading.current_thread().name == HEARTBEAT:
            calls["n"] += 1
            if calls["n"] == 1:
                time.sleep(0.5)  # e.g. a connect timeout
                raise ConnectionError("throttled / timed out")
        return sqs.change_message_visibility_batch(**kwargs)

    receipts = Receipts(sqs, queue)
    client = Client(sqs, change_message_visibility_batch=heartbeat_visibility, receive_message=receipts.worker_receive)
    worker = QueueWorker(
        lambda r: time.sleep(4), settings=settings(queue, dlq, concurrency=1), logger=quiet(), sqs_client=client
    )
    receipts.watch_from(0.3, 4.0)
    worker.run(until_idle=True)
    # "a beat that failed is a beat missed: the next one comes within the visibility"
    assert receipts.given_out_again() == [], "given out again while the worker still worked on it"


# -- claim 2: MAX_IN_HAND_SECONDS is not reached ------------------------------------------------------


def test_a_message_is_kept_invisible_up_to_max_in_hand(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["slow"])
    receipts = Receipts(sqs, queue)
    worker = QueueWorker(
        lambda record: time.sleep(6),
        settings=settings(
            queue, dlq, visibility_timeout_seconds=4, heartbeat_seconds=2, max_in_hand_seconds=5, concurrency=1
        ),
        logger=quiet(),
        sqs_client=Client(sqs, receive_message=receipts.worker_receive),
    )
    threading.Timer(5.5, worker.stop).start()
    receipts.watch_from(0.3, 5.5)
    worker.run()
    again = receipts.given_out_again()
    assert not again or again[0][0] >= 5.0, f"given out again {again[0][0]:.1f} s after its receive; MAX_IN_HAND 5 s"


# -- claim 1: dead-lettered but not deleted (released or abandoned before the handler finished) ---------


def test_a_message_dead_lettered_after_the_drain_deadline_is_not_left_on_the_queue(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["bad"])

    def process(record: SQSRecord) -> None:
        time.sleep(2)
        raise PoisonMessageError("no size")

    worker = QueueWorker(
        process, settings=settings(queue, dlq, drain_seconds=2, concurrency=1), logger=quiet(), sqs_client=sqs
    )
    threading.Timer(0.3, worker.stop).start()
    worker.run()
    join_worker_threads()
    in_dlq = [m["Body"] for m in dead_letters(sqs, dlq)]
    on_queue = receivable(sqs, queue)
    assert not (in_dlq and on_queue), f"in the DLQ {in_dlq} and back on the queue {on_queue}"


def test_a_poison_message_abandoned_after_max_in_hand_is_dead_lettered_once(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["bad"])
    calls = {"n": 0}

    def process(record: SQSRecord) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            time.sleep(3.5)  # past MAX_IN_HAND_SECONDS (3)
        raise PoisonMessageError("no size")

    worker = QueueWorker(
        process, settings=settings(queue, dlq, max_in_hand_seconds=3, concurrency=1), logger=quiet(), sqs_client=sqs
    )
    threading.Timer(5.0, worker.stop).start()
    worker.run()
    join_worker_threads()
    assert len(dead_letters(sqs, dlq)) == 1


# -- claim 7: double counting ----------------------------------------------------------------------------


def test_released_then_failed_is_counted_once(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["flaky"])

    def process(record: SQSRecord) -> None:
        time.sleep(2)
        raise TransientError("blip")

    worker = QueueWorker(
        process, settings=settings(queue, dlq, drain_seconds=2, concurrency=1), logger=quiet(), sqs_client=sqs
    )
    threading.Timer(0.3, worker.stop).start()
    report = worker.run()
    join_worker_threads()
    assert (report.released, report.retried) != (1, 1)
    assert accounted(report) == report.received == 1


def test_a_message_being_deleted_is_not_also_abandoned(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["job"])

    def slow_delete(**kwargs: Any) -> Any:
        if threading.current_thread().name != HEARTBEAT:
            time.sleep(1.0)  # DeleteMessageBatch takes 1 s
        return sqs.delete_message_batch(**kwargs)

    client = Client(sqs, delete_message_batch=slow_delete)
    # Visibility 4, heartbeat 2, in hand at most 5: the beat at ~2 s stops extending (2 + 4 > 5).
    report = QueueWorker(
        lambda record: time.sleep(1.5),  # done at 1.5 s, being deleted from 1.5 s to 2.5 s
        settings=settings(queue, dlq, visibility_timeout_seconds=4, heartbeat_seconds=2, max_in_hand_seconds=5),
        logger=quiet(),
        sqs_client=client,
    ).run(until_idle=True)
    assert report.succeeded == 1
    assert accounted(report) == report.received == 1, report


# -- claim 4: per-batch FIFO, a group's later message goes ahead of one that could not begin -----------


@pytest.mark.parametrize("mode", ["per-record", "per-batch"])
def test_fifo_a_later_message_waits_for_one_whose_attempt_could_not_begin(sqs: Any, mode: str) -> None:
    queue, _ = queues(sqs, fifo=True)
    send(sqs, queue, ["g0", "g1"], group="g")
    # g0 was received once before (a crashed worker): on this receive it is out of its one attempt, and the
    # DLQ cannot take it, so FailurePolicy.begin raises and g0 stays on the queue, untried.
    (first,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1, VisibilityTimeout=0)["Messages"]
    assert first["Body"] == "g0"
    missing_dlq = queue.replace("work.fifo", "missing-dlq.fifo")
    processed: list[str] = []

    def process(record: SQSRecord) -> None:
        processed.append(record.body)

    def process_batch(records: list[SQSRecord]) -> None:
        processed.extend(record.body for record in records)

    handler = {"process": process} if mode == "per-record" else {"process_batch": process_batch}
    worker = QueueWorker(
        **handler, settings=settings(queue, missing_dlq, max_attempts=1), logger=quiet(), sqs_client=sqs
    )
    threading.Timer(2.5, worker.stop).start()
    worker.run()
    assert processed == []  # g1 must not be processed (and deleted) while g0 is still on the queue before it


# -- claim 5 / 1: a handler's BaseException kills a thread; the worker goes on receiving with no thread ---


def test_a_handler_raising_system_exit_does_not_leave_a_worker_without_threads(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["exit"])
    processed: list[str] = []

    def process(record: SQSRecord) -> None:
        if record.body == "exit":
            raise SystemExit(1)
        processed.append(record.body)

    worker = QueueWorker(process, settings=settings(queue, dlq, concurrency=1), logger=quiet(), sqs_client=sqs)
    runner = threading.Thread(target=worker.run)
    runner.start()
    time.sleep(1.0)
    send(sqs, queue, ["next"])
    time.sleep(3.5)
    held_invisible = receivable(sqs, queue)
    worker.stop()
    runner.join(10)
    assert "next" in processed, f"processed {processed}; another consumer could get {held_invisible}"


# -- claim 4 (minor): a failed early delete sends a group's head back behind the group's later messages ----


def test_fifo_a_done_message_whose_delete_failed_does_not_come_back_after_later_ones(
    sqs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue, dlq = queues(sqs, fifo=True)
    send(sqs, queue, ["a0", "a1", "a2"], group="a")
    calls = {"n": 0}

    def delete(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:  # the heartbeat deletes a0 (done) while a1 is worked on: that call fails
            raise ConnectionError("connection reset")
        return sqs.delete_message_batch(**kwargs)

    processed: list[str] = []

    def process(record: SQSRecord) -> None:
        if record.body == "a1" and "a1" not in processed:
            time.sleep(1.5)
        processed.append(record.body)

    worker = QueueWorker(
        process, settings=settings(queue, dlq), logger=quiet(), sqs_client=Client(sqs, delete_message_batch=delete)
    )
    threading.Timer(4.5, worker.stop).start()
    worker.run()
    assert processed == ["a0", "a1", "a2"]


def test_a_slow_delete_in_the_heartbeat_does_not_let_another_message_out(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["fast", "slow"])  # one receive, one batch

    def delete(**kwargs: Any) -> Any:
        if threading.current_thread().name == HEARTBEAT:
            time.sleep(1.2)  # DeleteMessageBatch slow (throttled, retried by boto3)
        return sqs.delete_message_batch(**kwargs)

    receipts = Receipts(sqs, queue)
    client = Client(sqs, delete_message_batch=delete, receive_message=receipts.worker_receive)
    # "fast" is done at once (its batch is not: "slow" is worked on), so the beat at ~1 s deletes it first.
    worker = QueueWorker(
        lambda r: time.sleep(4 if r.body == "slow" else 0),
        settings=settings(queue, dlq),
        logger=quiet(),
        sqs_client=client,
    )
    receipts.watch_from(0.3, 4.0)
    worker.run(until_idle=True)
    assert receipts.given_out_again() == []


# -- claim 5: at most CONCURRENCY threads work, with one batch received ahead of them -----------------------


def test_the_worker_holds_at_most_one_batch_beyond_its_threads(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, [f"job-{n}" for n in range(25)])
    busy: list[int] = []
    working = threading.Semaphore(100)
    held: list[int] = []

    def process(record: SQSRecord) -> None:
        working.acquire()
        busy.append(100 - working._value)
        time.sleep(0.05)
        working.release()

    worker = QueueWorker(
        process, settings=settings(queue, dlq, concurrency=2, batch_size=5), logger=quiet(), sqs_client=sqs
    )

    def sample() -> None:
        for _ in range(200):
            with worker._lock:
                held.append(sum(item.state in ("waiting", "working") for item in worker._in_hand))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    worker.run(until_idle=True)
    assert max(busy) <= 2
    assert max(held) <= 2 + 5  # not done with: the threads' messages, and one batch received ahead


# -- a second review, on the fixed worker -------------------------------------------------------------------


def test_drain_returns_when_deletes_keep_failing(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["job"])
    failing = {"on": True, "calls": 0}

    def delete(**kwargs: Any) -> Any:
        failing["calls"] += 1
        if failing["on"]:
            raise ConnectionError("SQS unreachable")
        return sqs.delete_message_batch(**kwargs)

    worker = QueueWorker(
        lambda r: None,
        settings=settings(queue, dlq, drain_seconds=2),
        logger=quiet(),
        sqs_client=Client(sqs, delete_message_batch=delete),
    )
    runner = threading.Thread(target=worker.run, daemon=True)
    threading.Timer(0.5, worker.stop).start()
    runner.start()
    runner.join(5.0)  # DRAIN_SECONDS 2 (+1 s), stop at 0.5 s
    hung, calls = runner.is_alive(), failing["calls"]
    failing["on"] = False  # let the spinning drain out
    runner.join(5)
    assert not hung, f"run() still draining 4.5 s after stop (DRAIN 2 s); {calls} DeleteMessageBatch calls"


# -- claim 7: a delete that fails after the drain deadline leaves the message counted nowhere -------------


def test_a_delete_failing_after_the_deadline_is_still_counted(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["job"])

    def delete(**kwargs: Any) -> Any:
        if threading.current_thread().name.startswith("queue-worker-") and threading.current_thread().name != HEARTBEAT:
            time.sleep(2.5)  # the worker thread's delete: slow, then it fails
            raise ConnectionError("connection reset")
        return sqs.delete_message_batch(**kwargs)

    worker = QueueWorker(
        lambda r: None,
        settings=settings(queue, dlq, drain_seconds=2),
        logger=quiet(),
        sqs_client=Client(sqs, delete_message_batch=delete),
    )
    threading.Timer(0.3, worker.stop).start()
    report = worker.run()
    join_worker_threads()
    assert accounted(report) == report.received == 1, report


# -- claim 7: a handler's SystemExit (or the worker's own fault) leaves the message counted nowhere -------


def test_a_message_whose_handler_raised_system_exit_is_counted(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["exit"])

    def process(record: SQSRecord) -> None:
        raise SystemExit(1)

    report = QueueWorker(process, settings=settings(queue, dlq, concurrency=1), logger=quiet(), sqs_client=sqs).run(
        until_idle=True
    )
    assert accounted(report) == report.received == 1, report


# -- claim 2: one heartbeat call with a transient per-entry failure abandons the message --------------------


def test_one_beat_with_a_server_side_entry_failure_loses_nothing(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["slow"])
    calls = {"n": 0}

    def heartbeat_visibility(**kwargs: Any) -> Any:
        if threading.current_thread().name == HEARTBEAT:
            calls["n"] += 1
            if calls["n"] == 1:  # HTTP 200, one entry failed on SQS's side (SenderFault false): try again
                return {
                    "Successful": [],
                    "Failed": [
                        {"Id": e["Id"], "SenderFault": False, "Code": "InternalError", "Message": "internal error"}
                        for e in kwargs["Entries"]
                    ],
                }
        return sqs.change_message_visibility_batch(**kwargs)

    receipts = Receipts(sqs, queue)
    client = Client(sqs, change_message_visibility_batch=heartbeat_visibility, receive_message=receipts.worker_receive)
    worker = QueueWorker(
        lambda r: time.sleep(4), settings=settings(queue, dlq, concurrency=1), logger=quiet(), sqs_client=client
    )
    receipts.watch_from(0.3, 4.0)
    report = worker.run(until_idle=True)
    assert receipts.given_out_again() == [], f"given out while worked on; abandoned={report.abandoned}"


# -- claim 2 (and 'dead-lettered once'): a slow dead-letter send lets a SETTLING message out ---------------


def test_a_message_whose_failure_is_being_settled_is_not_given_out_again(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["bad"])
    sends = {"n": 0}

    def send_message(**kwargs: Any) -> Any:
        sends["n"] += 1
        if sends["n"] == 1:
            time.sleep(2.0)  # the DLQ's SendMessage is slow once (throttled, retried by boto3)
        return sqs.send_message(**kwargs)

    calls = {"n": 0}

    def process(record: SQSRecord) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            time.sleep(1.4)  # fails at ~1.4 s; the beat at ~1 s extended it to ~3 s
        raise PoisonMessageError("no size")

    receipts = Receipts(sqs, queue)
    client = Client(sqs, send_message=send_message, receive_message=receipts.worker_receive)
    worker = QueueWorker(process, settings=settings(queue, dlq), logger=quiet(), sqs_client=client)
    receipts.watch_from(100, 0)  # (no other consumer: the worker itself receives the copy)
    threading.Timer(5.0, worker.stop).start()
    worker.run()
    join_worker_threads()
    receipts.thread.cancel()
    again = [(t, who, b) for t, who, b in sorted(receipts.seen)][1:]
    bodies = [m["Body"] for m in dead_letters(sqs, dlq)]
    assert (again, bodies) == ([], ["bad"]), f"received again {again}; DLQ {bodies}"


# -- claim 2: the visibility clock is started after the receive returned, not when it was asked -----------


def test_a_slow_receive_response_does_not_let_a_message_out(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["slow"])
    receipts = Receipts(sqs, queue)
    first = {"done": False}

    def receive(**kwargs: Any) -> Any:
        if first["done"]:
            return receipts.worker_receive(**kwargs)
        first["done"] = True
        time.sleep(0.8)  # (only places the receive between beats)
        response = receipts.worker_receive(**kwargs)  # SQS starts the visibility here, at ~0.8 s
        time.sleep(0.9)  # the response takes 0.9 s to arrive (large bodies, a slow network)
        return response

    worker = QueueWorker(
        lambda r: time.sleep(3),
        settings=settings(queue, dlq, concurrency=1),
        logger=quiet(),
        sqs_client=Client(sqs, receive_message=receive),
    )
    receipts.watch_from(1.3, 3.5)  # another consumer, from after the worker's receive
    worker.run(until_idle=True)
    assert receipts.given_out_again() == []


# -- claim 2: MAX_IN_HAND_SECONDS, int truncation of what is left --------------------------------------------


def test_a_message_is_not_given_out_before_max_in_hand(sqs: Any) -> None:
    queue, dlq = queues(sqs)
    send(sqs, queue, ["slow"])
    receipts = Receipts(sqs, queue)
    first = {"done": False}

    def receive(**kwargs: Any) -> Any:
        if not first["done"]:
            first["done"] = True
            time.sleep(0.7)  # the receive falls 0.7 s after a beat
        return receipts.worker_receive(**kwargs)

    worker = QueueWorker(
        lambda r: time.sleep(4.5),
        settings=settings(queue, dlq, max_in_hand_seconds=3, concurrency=1),
        logger=quiet(),
        sqs_client=Client(sqs, receive_message=receive),
    )
    threading.Timer(4.6, worker.stop).start()
    receipts.watch_from(1.2, 3.5)  # another consumer, from after the worker's receive
    worker.run()
    join_worker_threads()
    again = receipts.given_out_again()
    assert not again or again[0][0] >= 2.95, f"given out again {again[0][0]:.2f} s after its receive; MAX_IN_HAND 3 s"
