"""The fault matrix as data: consumer x fault -> expected outcome, and the runs that measure it.

A scenario sends a target message (the one the fault hits) and bystanders, injects the fault,
drains the queue through the consumer's handler, then *measures* what happened to every key:
its effects downstream, how often the handler saw it and reported it failed, and what its DLQ
holds with which ``failure_kind`` and ``failure_reason``. :meth:`KeyOutcome.verdict` turns that
measurement into one of the outcomes below, or into what went wrong (lost, applied twice, ...).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.faults.consumers import CONSUMERS, Consumer, consumer_environment, key, keys_in
from tests.faults.driver import Driver
from tests.orders_functions.faults import fail_calls

PROCESSED = "processed once"
RETRIED = "retried, processed once"
REDELIVERED = "redelivered, processed once"
DLQ_POISON = "DLQ (poison)"
DLQ_EXHAUSTED = "DLQ (exhausted)"

POISON = "poison message"
TRANSIENT = "transient failure then success"
PERMANENT = "permanent failure"
DUPLICATE = "duplicate delivery"
TIMEOUT = "timeout mid-batch"
THROTTLING = "downstream throttling"
FAULTS = [POISON, TRANSIENT, PERMANENT, DUPLICATE, TIMEOUT, THROTTLING]

TRANSIENT_FAILURES = 2
THROTTLED_CALLS = 3
PERMANENT_CODE = "AccessDeniedException"

#: What each fault must end in, for every consumer (the target key; bystanders are processed once).
EXPECTED: dict[str, dict[str, str]] = {
    consumer: {
        POISON: DLQ_POISON,
        TRANSIENT: RETRIED,
        PERMANENT: DLQ_EXHAUSTED,
        DUPLICATE: REDELIVERED,
        TIMEOUT: REDELIVERED,
        THROTTLING: RETRIED,
    }
    for consumer in CONSUMERS
}
OK_FOR_BYSTANDERS = {PROCESSED, RETRIED, REDELIVERED}


@dataclass
class DeadLetter:
    kind: str | None
    reason: str | None
    receive_count: str | None


@dataclass
class KeyOutcome:
    key: str
    effects: Counter[str]
    effect_names: tuple[str, ...]
    deliveries: int
    failures: int
    dead_letters: list[DeadLetter]

    def verdict(self) -> str:
        applied = {name: self.effects.get(name, 0) for name in self.effect_names}
        twice = [f"{name} {count}x" for name, count in applied.items() if count > 1]
        if twice:
            return "APPLIED TWICE: " + ", ".join(twice)
        if self.dead_letters:
            if any(count for count in applied.values()):
                return "DLQ BUT APPLIED: " + ", ".join(n for n, c in applied.items() if c)
            kinds = {d.kind for d in self.dead_letters}
            if None in kinds or any(not d.reason for d in self.dead_letters):
                return "DLQ WITHOUT REASON"
            if len(kinds) > 1:
                return f"DLQ TWICE AS {sorted(kinds)}"
            return f"DLQ ({kinds.pop()})"
        if not any(applied.values()):
            return "LOST" if self.deliveries else "NEVER DELIVERED"
        missing = [name for name, count in applied.items() if not count]
        if missing:
            return "PARTLY APPLIED: missing " + ", ".join(missing)
        if self.failures:
            return RETRIED
        if self.deliveries > 1:
            return REDELIVERED
        return PROCESSED

    def detail(self) -> str:
        if self.dead_letters:
            letter = self.dead_letters[0]
            copies = f", {len(self.dead_letters)} copies" if len(self.dead_letters) > 1 else ""
            return f"after {self.deliveries} receive(s){copies}: {letter.reason}"
        return f"{self.deliveries} delivery(ies), {self.failures} reported failed"


def all_dead_letters(consumer: Consumer) -> list[dict[str, Any]]:
    """Every message of the DLQ (QueueHarness.dead_letters() reads at most 50): received, and kept
    hidden until the DLQ is empty, so none is read twice; called once, at the end of a run."""
    env, messages = consumer.env, []
    while True:
        batch = env.sqs.receive_message(
            QueueUrl=env.dead_letter_queue_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
            VisibilityTimeout=600,
        ).get("Messages", [])
        if not batch:
            return messages
        messages += batch


def dead_letters_by_key(consumer: Consumer) -> dict[str, list[DeadLetter]]:
    found: dict[str, list[DeadLetter]] = {}
    for message in all_dead_letters(consumer):
        attributes = {name: value.get("StringValue") for name, value in message.get("MessageAttributes", {}).items()}
        letter = DeadLetter(
            attributes.get("failure_kind"), attributes.get("failure_reason"), attributes.get("receive_count")
        )
        for found_key in keys_in(message["Body"])[:1]:
            found.setdefault(found_key, []).append(letter)
    return found


def outcomes(consumer: Consumer, driver: Driver, sent: list[str]) -> dict[str, KeyOutcome]:
    effects = consumer.measure()
    letters = dead_letters_by_key(consumer)
    strangers = (set(effects) | set(letters)) - set(sent)
    assert not strangers, f"{consumer.name}: effects or dead letters of keys never sent: {sorted(strangers)}"
    return {
        k: KeyOutcome(
            key=k,
            effects=effects.get(k, Counter()),
            effect_names=consumer.effect_names,
            deliveries=driver.tally.deliveries[k],
            failures=driver.tally.failures[k],
            dead_letters=letters.get(k, []),
        )
        for k in sent
    }


@dataclass
class ScenarioResult:
    consumer: str
    fault: str
    target: list[str]
    keys: dict[str, KeyOutcome]
    left_on_queue: int
    problems: list[str]
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        verdicts = sorted({self.keys[k].verdict() for k in self.target})
        return verdicts[0] if len(verdicts) == 1 else " / ".join(verdicts)

    @property
    def bystanders(self) -> dict[str, KeyOutcome]:
        return {k: o for k, o in self.keys.items() if k not in self.target}

    def cell(self) -> str:
        """The measured outcome, as the printed matrix shows it."""
        target = self.keys[self.target[0]]
        text = self.verdict
        if target.dead_letters:
            reason = (target.dead_letters[0].reason or "").removeprefix("poison message: ")
            code = re.search(r"\((\w+)\) when calling", reason)
            if code:
                reason = reason.split(": ClientError")[0] + f": {code.group(1)}"
            text += f" after {target.deliveries} receive(s): {reason[:70]}"
        else:
            deliveries = "/".join(str(self.keys[k].deliveries) for k in self.target)
            text += f", {deliveries} deliveries"
        wrong = [k for k, o in self.bystanders.items() if o.verdict() not in OK_FOR_BYSTANDERS]
        text += f"; BYSTANDERS {[self.bystanders[k].verdict() for k in wrong]}" if wrong else ""
        if self.left_on_queue:
            text += f"; {self.left_on_queue} LEFT ON QUEUE"
        return text


#: Every scenario measured in this process, for the printed matrix.
RESULTS: list[ScenarioResult] = []


def _inject(consumer: Consumer, target: str, fault: str) -> None:
    def hits(downstream: Any) -> Any:
        return lambda params: target in keys_in(params) and downstream.when(params)

    if fault == TRANSIENT:
        downstream = consumer.transient
        fail_calls(
            downstream.client,
            downstream.operation,
            TRANSIENT_FAILURES,
            consumer.transient_code,
            hits(downstream),
        )
    elif fault == THROTTLING:
        fail_calls(
            consumer.write.client,
            consumer.write.operation,
            THROTTLED_CALLS,
            consumer.throttle_code,
            hits(consumer.write),
        )
    elif fault == PERMANENT:
        fail_calls(consumer.write.client, consumer.write.operation, 10_000, PERMANENT_CODE, hits(consumer.write))


def run_scenario(consumer_name: str, fault: str) -> ScenarioResult:
    with consumer_environment(consumer_name) as consumer:
        driver = Driver(consumer)
        target = [key(0)]
        sent = [key(0), key(1), key(2)]
        notes: dict[str, Any] = {"poison reason": consumer.poison_reason}
        _inject(consumer, target[0], fault)
        if fault == POISON:
            consumer.send_good(key(1))
            consumer.send_poison(key(0))
            consumer.send_good(key(2))
        else:
            for k in sent:
                consumer.send_good(k)
        if fault == DUPLICATE:
            if consumer.send_again is not None:
                consumer.send_again(key(0))  # the producer (or SNS) sends it again: a new message id
                notes["resent"] = True
            driver.arm_lost_ack()  # and the first batch is processed but never deleted
            driver.deliver()
        if fault == TIMEOUT:
            target = list(sent)  # the whole batch is the subject: before, at and after the kill
            driver.arm_kill(after_writes=2)
            notes["delivered at kill"] = driver.deliver()
            notes["written at kill"] = dict(consumer.writes)
            notes["kills"] = driver.tally.kills
            notes["left at kill"] = consumer.env.depth()
        driver.drain()
        result = ScenarioResult(
            consumer=consumer_name,
            fault=fault,
            target=target,
            keys=outcomes(consumer, driver, sent),
            left_on_queue=consumer.env.depth(),
            problems=list(consumer.problems),
            notes=notes,
        )
    RESULTS.append(result)
    return result
