"""The fault matrix at handler level: every SQS consumer x every fault, against moto.

Each case runs one scenario (``scenarios.run_scenario``: a target message, bystanders, the fault,
the queue drained through the real handler) and checks the *measured* outcome against
``scenarios.EXPECTED``, then the details that make the outcome true: the DLQ reason and kind, the
number of receives, that bystanders are unaffected, that nothing is left on the queue, and for a
timeout that the effects before the kill were applied while nothing of the batch was deleted.
The table printed at the end of the run (``conftest.py``) is built from these measurements.
"""

from __future__ import annotations

import pytest

from stacks.processing_stack import MAX_ATTEMPTS
from tests.faults.consumers import CONSUMERS, key
from tests.faults.scenarios import (
    DUPLICATE,
    EXPECTED,
    FAULTS,
    OK_FOR_BYSTANDERS,
    PERMANENT,
    PERMANENT_CODE,
    POISON,
    THROTTLED_CALLS,
    THROTTLING,
    TIMEOUT,
    TRANSIENT,
    TRANSIENT_FAILURES,
    ScenarioResult,
    run_scenario,
)


@pytest.fixture(params=[(c, f) for c in CONSUMERS for f in FAULTS], ids=lambda p: f"{p[0]}-{p[1].replace(' ', '_')}")
def result(request: pytest.FixtureRequest) -> ScenarioResult:
    consumer, fault = request.param
    return run_scenario(consumer, fault)


def test_outcome(result: ScenarioResult) -> None:
    expected = EXPECTED[result.consumer][result.fault]
    target = result.keys[result.target[0]]
    assert result.verdict == expected, f"{result.consumer} x {result.fault}: {result.cell()} ({target.detail()})"
    assert result.problems == [], result.problems
    assert result.left_on_queue == 0, f"{result.left_on_queue} message(s) left on the queue"

    for name, outcome in result.bystanders.items():
        assert outcome.verdict() in OK_FOR_BYSTANDERS, f"bystander {name}: {outcome.verdict()} ({outcome.detail()})"

    for outcome in result.keys.values():
        for letter in outcome.dead_letters:
            assert letter.reason, f"{outcome.key} is in the DLQ without a reason"
            assert letter.kind in {"poison", "exhausted"}, letter

    fault = result.fault
    if fault == POISON:
        (letter,) = target.dead_letters
        assert target.deliveries == 1, "a poison message is dead-lettered on its first receive"
        assert letter.receive_count == "1"
        assert letter.reason is not None and result.notes["poison reason"] in letter.reason, letter.reason
    elif fault == PERMANENT:
        (letter,) = target.dead_letters
        assert target.deliveries == MAX_ATTEMPTS, "tried MAX_ATTEMPTS times, then dead-lettered"
        assert letter.receive_count == str(MAX_ATTEMPTS)
        assert letter.reason is not None
        assert f"gave up after {MAX_ATTEMPTS} attempts" in letter.reason and PERMANENT_CODE in letter.reason
    elif fault == TRANSIENT:
        assert (target.failures, target.deliveries) == (TRANSIENT_FAILURES, TRANSIENT_FAILURES + 1)
    elif fault == THROTTLING:
        assert (target.failures, target.deliveries) == (THROTTLED_CALLS, THROTTLED_CALLS + 1)
    elif fault == DUPLICATE:
        copies = 2 if result.notes.get("resent") else 1
        assert target.deliveries == 2 * copies, "each copy is delivered twice (its first ack was lost)"
        assert target.failures == 0
    elif fault == TIMEOUT:
        assert result.notes["kills"] == 1
        assert result.notes["delivered at kill"] == [key(0), key(1), key(2)]
        assert result.notes["left at kill"] == 3, "none of the killed batch was deleted"
        written = result.notes["written at kill"]
        assert written == {key(0): 1, key(1): 1}, "records before the kill had their effect, the rest not"
        for name in result.target:
            assert result.keys[name].deliveries == 2, f"{name}: the whole batch is redelivered once"
