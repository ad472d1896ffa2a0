"""A soak at handler level: 1,050 messages across the five consumers, faults injected at random
(fixed seed), every message accounted for at the end.

Per consumer, each business key draws a fault: a poison body, 1-3 transient failures or 1-3
throttled calls of its downstream, a permanent failure, or a duplicate (a producer resend and a
lost acknowledgement of its first batch); besides, some first deliveries are killed after a
random number of writes (a timeout mid-batch). The queue is drained through the real handler;
then, from what DynamoDB / SNS / EventBridge / SQS / S3 hold:

- sent = processed exactly once + held in the DLQ, by key, and nothing is left on the queue;
- every DLQ message carries a failure_kind and failure_reason, and only poison keys (kind
  ``poison``) and permanently failing keys (kind ``exhausted``) are there;
- no effect is applied twice (per key: stored / published / put on the bus / authorised /
  balance update sent / recorded / applied to the ledger / in the lake), and balances add up.

A timeout or a lost ack only hits a batch whose messages are all on their first receive (a
message is killed at most once), so that no message can exceed maxReceiveCount by kills alone
and be moved to the DLQ by SQS itself, without a reason (that is what SQS would do; see the report).
"""

from __future__ import annotations

import random
import zlib
from collections import Counter

import pytest

from tests.faults.consumers import CONSUMERS, consumer_environment, key, keys_in
from tests.faults.driver import Driver
from tests.faults.scenarios import DLQ_EXHAUSTED, DLQ_POISON, PERMANENT_CODE, outcomes
from tests.orders_functions.faults import fail_calls

SEED = 20261129
MESSAGES = {"order_processor": 210, "balance_updater": 210, "payment": 210, "notification": 210, "analytics": 210}
FAULT_WEIGHTS = {"none": 80, "poison": 4, "transient": 4, "throttle": 4, "permanent": 2, "duplicate": 6}
KILL_PROBABILITY = 0.3
MIN_FAULT_SHARE = 0.10
WAVE = 30


def test_the_soak_sends_at_least_1000_messages() -> None:
    assert sum(MESSAGES.values()) >= 1000
    assert set(MESSAGES) == set(CONSUMERS)


@pytest.mark.parametrize("consumer_name", CONSUMERS)
def test_soak(consumer_name: str) -> None:  # noqa: PLR0915  (one story, told in order)
    rng = random.Random(SEED + zlib.crc32(consumer_name.encode()))
    count = MESSAGES[consumer_name]
    sent = [key(i) for i in range(count)]
    weights = dict(FAULT_WEIGHTS)
    fault_of = dict(zip(sent, rng.choices(list(weights), list(weights.values()), k=count), strict=True))

    with consumer_environment(consumer_name) as consumer:
        budgets = {
            "transient": {k: rng.randint(1, 3) for k, f in fault_of.items() if f == "transient"},
            "throttle": {k: rng.randint(1, 3) for k, f in fault_of.items() if f == "throttle"},
        }
        permanent = {k for k, f in fault_of.items() if f == "permanent"}

        def spend(kind: str, downstream_when: object) -> object:
            def when(params: dict) -> bool:
                if not downstream_when(params):  # type: ignore[operator]
                    return False
                hit = [k for k in set(keys_in(params)) if budgets[kind].get(k, 0) > 0]
                for k in hit:
                    budgets[kind][k] -= 1
                return bool(hit)

            return when

        transient, write = consumer.transient, consumer.write
        fail_calls(
            transient.client, transient.operation, 10**6, consumer.transient_code, spend("transient", transient.when)
        )
        fail_calls(write.client, write.operation, 10**6, consumer.throttle_code, spend("throttle", write.when))
        fail_calls(
            write.client,
            write.operation,
            10**6,
            PERMANENT_CODE,
            lambda params: write.when(params) and bool(permanent & set(keys_in(params))),
        )

        driver = Driver(consumer)
        ack_to_lose = {k for k, f in fault_of.items() if f == "duplicate"}

        def before_invoke(batch: list[str]) -> None:
            first_time = all(driver.tally.deliveries[k] == n for k, n in Counter(batch).items())
            if not first_time:
                return
            if ack_to_lose & set(batch):
                ack_to_lose.difference_update(batch)
                driver.arm_lost_ack()
            elif rng.random() < KILL_PROBABILITY:
                driver.arm_kill(after_writes=rng.randint(1, len(batch)))

        driver.before_invoke = before_invoke
        invocations = 0
        # Traffic arrives in waves (moto's receive scans the whole queue: small queues keep it fast).
        for start in range(0, count, WAVE):
            for k in sent[start : start + WAVE]:
                if fault_of[k] == "poison":
                    consumer.send_poison(k)
                else:
                    consumer.send_good(k)
                if fault_of[k] == "duplicate" and consumer.send_again is not None:
                    consumer.send_again(k)  # analytics has none: its duplicate is the lost ack (a redelivery)
            invocations += driver.drain(rounds=200)
        result = outcomes(consumer, driver, sent)
        left = consumer.env.depth()
        problems = list(consumer.problems)

    verdicts = {k: o.verdict() for k, o in result.items()}
    processed = {k for k, v in verdicts.items() if v.endswith("processed once")}
    dead = {k for k, v in verdicts.items() if v in {DLQ_POISON, DLQ_EXHAUSTED}}
    wrong = {
        k: f"{v} (fault {fault_of[k]}; {result[k].detail()})" for k, v in verdicts.items() if k not in processed | dead
    }
    faulted = {k for k, f in fault_of.items() if f != "none"} | driver.tally.killed_keys | driver.tally.lost_ack_keys

    summary = (
        f"{consumer_name}: sent {count}, processed once {len(processed)}, in DLQ {len(dead)}, "
        f"faulted {len(faulted)} ({Counter(fault_of.values())}, kills {driver.tally.kills}, "
        f"lost acks {driver.tally.lost_acks}), invocations {invocations}"
    )
    assert wrong == {}, summary
    assert len(processed) + len(dead) == count, summary
    assert left == 0, f"{left} message(s) left on the queue; {summary}"
    assert problems == [], problems
    assert len(faulted) >= MIN_FAULT_SHARE * count, summary
    assert driver.tally.kills > 0, f"no timeout was injected; {summary}"

    # Only the keys that cannot succeed are in the DLQ, each with its reason and the right kind.
    poison = {k for k, f in fault_of.items() if f == "poison"}
    assert {k for k in dead if verdicts[k] == DLQ_POISON} == poison, summary
    exhausted = {k for k in dead if verdicts[k] == DLQ_EXHAUSTED}
    extra = {k: f"fault {fault_of[k]}, {result[k].detail()}" for k in exhausted - permanent}
    assert exhausted >= permanent, summary
    assert extra == {}, f"dead-lettered as exhausted without a permanent fault: {extra}; {summary}"
    for k in dead:
        for letter in result[k].dead_letters:
            assert letter.reason, f"{k} is in the DLQ without a reason"
    # No effect twice, no effect missing, for every processed key.
    for k in processed:
        for name in consumer.effect_names:
            assert result[k].effects[name] == 1, f"{k}: {name} x{result[k].effects[name]}; {summary}"
