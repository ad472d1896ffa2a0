"""A fault run on the deployed system: 1,000 messages, more than 10 % of them faulty, through the
whole app; at the end every message is processed once or held in a DLQ with its reason, and no
effect is applied twice.

Faults: poison pills (not JSON), invalid orders (a total that is not a number), duplicates (an
order sent again, same message), and a transient outage: the payment consumer's table is
unreachable for a moment while orders flow, so some payments fail and are retried with backoff.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from localcloud import demo
from orders_functions.common.outputs import StackOutput
from tests.e2e.system import DeployedSystem, wait_for

MESSAGES = 1000
FAULTS = {"poison": 40, "invalid": 40, "duplicate": 40}
ORDER_QUEUE = "order-processing"


def _workload(run: str) -> list[tuple[str, str, dict[str, str]]]:
    """(kind, body, attributes) for every message, shuffled with a fixed seed."""
    rng = random.Random(1129)
    valid = MESSAGES - sum(FAULTS.values())
    orders = []
    for n in range(valid):
        total = Decimal(rng.randint(500, 90_000)) / 100
        orders.append(
            {
                "event_type": "order.created",
                "order_id": f"f-{run}-{n:04d}",
                "customer_id": f"acct-{run}-{rng.randint(1, 40):02d}",
                "customer_tier": "standard",
                "total": f"{total:.2f}",
                "currency": "USD",
                "items": [{"sku": "sku-1", "quantity": 1, "unit_price": f"{total:.2f}"}],
            }
        )
    messages = [
        ("valid", json.dumps(o), {"event_type": "order.created", "correlation_id": o["order_id"]}) for o in orders
    ]
    for original in rng.sample(orders, FAULTS["duplicate"]):
        messages.append(
            ("duplicate", json.dumps(original), {"event_type": "order.created", "correlation_id": original["order_id"]})
        )
    for n in range(FAULTS["poison"]):
        messages.append(("poison", f'{{"event_type": "order.created", "order_id": "f-{run}-p{n:02d}", ', {}))
    for n in range(FAULTS["invalid"]):
        invalid = {**orders[0], "order_id": f"f-{run}-i{n:02d}", "total": "ten"}
        messages.append(("invalid", json.dumps(invalid), {"event_type": "order.created"}))
    rng.shuffle(messages)
    return messages


def _send(system: DeployedSystem, messages: list[tuple[str, str, dict[str, str]]]) -> None:
    url = system.queue_url(ORDER_QUEUE)
    for start in range(0, len(messages), 10):
        entries = [
            {
                "Id": str(i),
                "MessageBody": body,
                "MessageAttributes": {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
            }
            for i, (_, body, attributes) in enumerate(messages[start : start + 10])
        ]
        assert not system.sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")
        time.sleep(0.05)


def _retries(system: DeployedSystem, function: str) -> int:
    return sum('"retry_in_seconds"' in line for line in system.log_text(function).splitlines())


def test_a_thousand_messages_with_faults_end_processed_once_or_dead_lettered_with_a_reason(
    system: DeployedSystem,
) -> None:
    run = uuid.uuid4().hex[:6]
    messages = _workload(run)
    sent = Counter(kind for kind, _, _ in messages)
    assert sum(sent.values()) == MESSAGES and sum(FAULTS.values()) / MESSAGES >= 0.10

    payment_function = system.function_reading("payment-processing")
    environment = system.client("lambda").get_function_configuration(FunctionName=payment_function)["Environment"]
    sender = threading.Thread(target=_send, args=(system, messages))
    sender.start()
    time.sleep(5)  # orders are flowing: now the payments table becomes unreachable for a moment
    outage = {"Variables": {**environment["Variables"], "PAYMENTS_TABLE": "unreachable"}}
    retries_before = _retries(system, payment_function)
    with system.reconfigured(payment_function, Environment=outage):
        # the outage lasts until a payment has failed and been put back for a retry
        wait_for(lambda: _retries(system, payment_function) > retries_before, timeout=60, what="a payment retry")
    sender.join()
    demo.wait_until_quiet(system.settings, timeout_seconds=900, interval=2)
    assert _retries(system, payment_function) > retries_before  # the transient fault did happen

    valid = {json.loads(body)["order_id"]: json.loads(body) for kind, body, _ in messages if kind == "valid"}

    def orders_in(table: StackOutput) -> Counter[str]:
        return Counter(i["order_id"]["S"] for i in demo.scan(system.settings, table) if i["order_id"]["S"] in valid)

    stored, payments, notified = (
        orders_in(t) for t in (StackOutput.ORDERS_TABLE, StackOutput.PAYMENTS_TABLE, StackOutput.NOTIFICATIONS_TABLE)
    )
    accounts = [
        i
        for i in demo.scan(system.settings, StackOutput.BALANCES_TABLE)
        if i["account_id"]["S"].startswith(f"acct-{run}-")
    ]
    ledger = Counter(i["entry"]["S"] for i in accounts)
    balances = {i["account_id"]["S"]: Decimal(i["balance"]["N"]) for i in accounts if i["entry"]["S"] == "BALANCE"}
    held = demo.dead_letters(system.settings)
    order_dlq = [m for m in held.get("order-processing-dlq", []) if f"f-{run}-" in m["body"]]
    payment_dlq = [m for m in held.get("payment-processing-dlq", []) if f"f-{run}-" in m["body"]]

    # every valid order stored once, duplicates included (they found the order already processed)
    assert set(stored) == set(valid) and set(stored.values()) == {1}
    # every faulty message is in the order DLQ with its reason
    assert len(order_dlq) == FAULTS["poison"] + FAULTS["invalid"]
    assert sum("body is not JSON" in m["reason"] for m in order_dlq) == FAULTS["poison"]
    assert sum("money as text is digits" in m["reason"] for m in order_dlq) == FAULTS["invalid"]
    # payments: authorised once, or (if the outage outlasted the retries) held in the payment DLQ with a reason
    assert set(payments.values()) <= {1}
    assert len(payments) + len(payment_dlq) == len(valid)
    assert all(m["reason"] != "-" for m in payment_dlq)  # "-": no reason attribute
    # notifications once each; one ledger charge per authorised payment; balances exact
    assert set(notified) == set(valid) and set(notified.values()) == {1}
    charged = {order_id for order_id in payments}
    assert ledger == Counter({"BALANCE": len(balances), **{f"TXN#{o}.charge": 1 for o in charged}})
    expected: dict[str, Decimal] = {}
    for order_id in charged:
        order = valid[order_id]
        expected[order["customer_id"]] = expected.get(order["customer_id"], Decimal(0)) - Decimal(order["total"])
    assert balances == expected

    retried = _retries(system, payment_function) - retries_before
    matrix = Table(title=f"fault run: {MESSAGES} messages through the deployed app")
    for column in ("kind", "sent", "outcome"):
        matrix.add_column(column)
    matrix.add_row("valid", str(sent["valid"]), f"stored once {len(stored)}, notified once {len(notified)}")
    matrix.add_row("duplicate", str(sent["duplicate"]), "no second effect (stored, paid, notified, charged once)")
    matrix.add_row(
        "poison", str(sent["poison"]), f"order-processing-dlq, reason 'body is not JSON': {FAULTS['poison']}"
    )
    matrix.add_row(
        "invalid", str(sent["invalid"]), f"order-processing-dlq, reason 'money as text is digits': {FAULTS['invalid']}"
    )
    matrix.add_row(
        "payments during an outage",
        "-",
        f"retries logged {retried}; authorised once {len(payments)}, in payment DLQ with a reason {len(payment_dlq)}",
    )
    Console(width=140).print(matrix)
