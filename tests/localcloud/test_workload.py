"""localcloud.workload: the demo's messages, one of every path, deterministic per run, and the balances they leave.

What the deployed system does with them is judged end to end by tests/e2e/test_workload.py; here, without a
cloud, that each message is what its path says to order-processing's reader, and the arithmetic of the balances.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from event_runtime.errors import PoisonMessageError
from localcloud.workload import cases, expected_balances
from orders_functions.order_processor.service import read_order_message


def body_text(body: dict | str) -> str:
    return body if isinstance(body, str) else json.dumps(body)


def test_a_run_label_gives_the_same_messages_and_ids_of_its_own() -> None:
    first, again, other = cases("r1"), cases("r1"), cases("r2")
    assert [(c.path, c.body) for c in first] == [(c.path, c.body) for c in again]
    ids = {c.body["order_id"] for c in first if isinstance(c.body, dict)}
    assert ids and all(order_id.startswith("o-r1-") for order_id in ids)
    assert not ids & {c.body["order_id"] for c in other if isinstance(c.body, dict)}


def test_the_duplicate_is_the_first_orders_message_sent_again() -> None:
    workload = cases("r1")
    (duplicate,) = [c for c in workload if c.path.startswith("duplicate")]
    assert duplicate.message is workload[0].message


@pytest.mark.parametrize("path", ["poison pill (not JSON)", "invalid order (total is not a number)"])
def test_the_bad_messages_are_poison_to_order_processing(path: str) -> None:
    (case,) = [c for c in cases("r1") if c.path == path]
    with pytest.raises(PoisonMessageError):
        read_order_message(body_text(case.body))


def test_every_other_message_is_one_order_processing_reads() -> None:
    for case in cases("r1"):
        if not case.path.startswith(("poison", "invalid")):
            message, _ = read_order_message(body_text(case.body))
            assert message.order_id.startswith("o-r1-"), case.path


def test_each_message_carries_a_correlation_id_of_its_own() -> None:
    ids = [c.message.attributes["correlation_id"] for c in cases("r1") if c.message and not c.path.startswith("dup")]
    assert len(ids) == len(set(ids))


def test_the_balances_are_every_valid_order_charged_once_and_the_cancelled_one_refunded() -> None:
    assert expected_balances("r1") == {
        "c-r1-a": Decimal("-120.00"),  # 120.00 and 45.00, the latter cancelled
        "c-r1-b": Decimal("-2580.50"),  # 80.50 and 2500.00
        "c-r1-c": Decimal("-5300.00"),  # 300.00 and 5000.00
        "c-r1-d": Decimal("-15000.00"),
    }
