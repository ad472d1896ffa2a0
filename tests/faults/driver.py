"""Drive a consumer through ``QueueHarness`` with the two faults the harness itself cannot make:
Lambda killed mid-batch (a timeout), and a batch processed whose deletion never happens.

Both leave the whole batch on the queue, as Lambda's event source mapping does when an
invocation does not return: nothing is deleted, and the batch is received again once its
visibility timeout has passed (here: at once). The driver also counts, per business key, how
often the handler saw it and how often it reported it failed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.faults.consumers import Consumer, count_successes, keys_in
from tests.orders_functions.sqs_harness import FakeLambdaContext

#: How long a killed invocation had left when it started: Lambda kills it when this runs out.
KILLED_INVOCATION_BUDGET_MS = 20


class LambdaKilled(BaseException):
    """The invocation ran out of time. A BaseException, so no ``except Exception`` in the handler sees it."""


class AckLost(BaseException):
    """The handler returned, but the event source mapping never deleted the batch."""


@dataclass
class DeadlineContext(FakeLambdaContext):
    """A Lambda context whose remaining time runs out at ``deadline`` (time.monotonic())."""

    deadline: float = 0.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass
class KillPlan:
    """Kill the invocation right after the ``after_writes``-th successful write of the consumer."""

    after_writes: int
    deadline: float = 0.0
    writes: int = 0
    fired: bool = False


@dataclass
class Tally:
    deliveries: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    kills: int = 0
    killed_keys: set[str] = field(default_factory=set)
    lost_acks: int = 0
    lost_ack_keys: set[str] = field(default_factory=set)
    invocations: int = 0


class Driver:
    def __init__(self, consumer: Consumer) -> None:
        self.consumer = consumer
        self.tally = Tally()
        self._kill: KillPlan | None = None
        self._lose_ack = False
        self._event: dict[str, Any] | None = None
        #: Called with the keys of a batch before the handler runs; may arm a kill or a lost ack.
        self.before_invoke: Callable[[list[str]], None] | None = None
        count_successes(consumer.write.client, consumer.write.operation, self._after_write)

    def arm_kill(self, after_writes: int) -> None:
        self._kill = KillPlan(after_writes=after_writes)

    def arm_lost_ack(self) -> None:
        self._lose_ack = True

    def _after_write(self, params: dict[str, Any]) -> None:
        plan = self._kill
        if plan is None or plan.fired or not self.consumer.write.when(params):
            return
        plan.writes += 1
        if plan.writes >= plan.after_writes:
            plan.fired = True
            # Lambda stops the function when its time is up: wait for the deadline, then stop.
            time.sleep(max(0.0, plan.deadline - time.monotonic()))
            raise LambdaKilled(f"killed after write {plan.writes}")

    def _invoke(self, event: dict[str, Any], context: Any) -> Any:
        self._event = event
        self.tally.invocations += 1
        batch_keys = [k for record in event["Records"] for k in keys_in(record["body"])[:1]]
        for found in batch_keys:
            self.tally.deliveries[found] += 1
        if self.before_invoke is not None:
            self.before_invoke(batch_keys)
        if self._kill is not None:
            self._kill.deadline = time.monotonic() + KILLED_INVOCATION_BUDGET_MS / 1000
            context = DeadlineContext(deadline=self._kill.deadline)
        response = self.consumer.handler(event, context)
        by_id = {record["messageId"]: record for record in event["Records"]}
        for item in response.get("batchItemFailures", []):
            for found in keys_in(by_id[item["itemIdentifier"]]["body"])[:1]:
                self.tally.failures[found] += 1
        if self._lose_ack:
            raise AckLost()
        return response

    def deliver(self, batch_size: int = 10) -> list[str]:
        """One invocation; returns the keys it received (empty when the queue had nothing visible)."""
        env = self.consumer.env
        self._event = None
        try:
            delivery = env.deliver(self._invoke, batch_size)
        except (LambdaKilled, AckLost) as stopped:
            assert self._event is not None
            records = self._event["Records"]
            batch_keys = [k for record in records for k in keys_in(record["body"])[:1]]
            if isinstance(stopped, LambdaKilled):
                self.tally.kills += 1
                self.tally.killed_keys.update(batch_keys)
            else:
                self.tally.lost_acks += 1
                self.tally.lost_ack_keys.update(batch_keys)
            # Nothing of the batch was deleted; its visibility timeout passes and it comes back whole.
            for record in records:
                env.sqs.change_message_visibility(
                    QueueUrl=env.queue_url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
                )
            return batch_keys
        finally:
            self._kill = None
            self._lose_ack = False
        env.let_time_pass()
        return [k for message_id in delivery.message_ids for k in self._keys_of(message_id)]

    def _keys_of(self, message_id: str) -> list[str]:
        assert self._event is not None
        for record in self._event["Records"]:
            if record["messageId"] == message_id:
                return keys_in(record["body"])[:1]
        return []

    def drain(self, rounds: int = 500, batch_size: int = 10) -> int:
        """Deliver until nothing is visible; returns the number of invocations."""
        for done in range(rounds):
            if not self.deliver(batch_size):
                return done
        raise AssertionError(f"{self.consumer.name}: queue not drained after {rounds} deliveries")
