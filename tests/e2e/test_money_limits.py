"""The money limits end to end: the largest order the model accepts is paid; one cent more is refused at entry.

The order model's maximum (``orders_functions.common.limits.MONEY_MAX``) sits below the -1e9 to 1e9 range in
which SNS compares numbers, so the payment subscription's ``amount >= 0`` filter sees every order the
entry point accepts (moto's filter matcher does not model SNS's range; the unit test in
``tests/event_constructs/test_filters.py`` pins the two constants together).
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

from localcloud import demo
from orders_functions.common.limits import MONEY_MAX
from orders_functions.common.outputs import StackOutput
from tests.e2e.system import DeployedSystem


def _order(order_id: str, total: Decimal) -> dict[str, object]:
    return {
        "event_type": "order.created",
        "order_id": order_id,
        "customer_id": f"acct-{order_id}",
        "customer_tier": "standard",
        "total": str(total),
        "currency": "USD",
        "items": [{"sku": "sku-1", "quantity": 1, "unit_price": str(total)}],
    }


def test_the_largest_order_is_charged_and_one_cent_more_is_refused_at_entry(system: DeployedSystem) -> None:
    run = uuid.uuid4().hex[:6]
    largest, too_large = f"max-{run}", f"over-{run}"
    url = system.queue_url("order-processing")
    for body in (_order(largest, MONEY_MAX), _order(too_large, MONEY_MAX + Decimal("0.01"))):
        system.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
    demo.wait_until_quiet(system.settings, timeout_seconds=300, interval=1)

    payments = {i["order_id"]["S"]: i for i in demo.scan(system.settings, StackOutput.PAYMENTS_TABLE)}
    assert payments[largest]["status"]["S"] == "CHARGE_SENT"
    assert Decimal(payments[largest]["amount"]["N"]) == MONEY_MAX
    balances = {
        i["account_id"]["S"]: Decimal(i["balance"]["N"])
        for i in demo.scan(system.settings, StackOutput.BALANCES_TABLE)
        if i["entry"]["S"] == "BALANCE"
    }
    assert balances[f"acct-{largest}"] == -MONEY_MAX

    assert too_large not in payments
    refused = [m for m in demo.dead_letters(system.settings).get("order-processing-dlq", []) if too_large in m["body"]]
    assert len(refused) == 1
    assert refused[0]["reason"].startswith("poison message:")
    assert "total" in refused[0]["reason"]
