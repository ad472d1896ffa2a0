"""The demo's workload: one of every path through the system, as messages for the order queue.

Deterministic (ids derive from a run label), so a test can say what must happen to each message.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from orders_functions.common.producer import OutgoingMessage


@dataclass(frozen=True)
class Case:
    """One message and what it exercises."""

    path: str
    message: OutgoingMessage | None  # None: the raw ``body`` below is sent as is
    raw_body: str | None = None

    @property
    def body(self) -> dict[str, Any] | str:
        if self.message is None:
            assert self.raw_body is not None
            return self.raw_body
        return dict(self.message.body) if not isinstance(self.message.body, str) else self.message.body


def _order(run: str, n: int, customer: str, tier: str, total: str) -> dict[str, Any]:
    return {
        "event_type": "order.created",
        "order_id": f"o-{run}-{n:02d}",
        "customer_id": customer,
        "customer_tier": tier,
        "total": total,
        "currency": "USD",
        "items": [{"sku": f"sku-{n}", "quantity": 1, "unit_price": total}],
    }


def _message(body: dict[str, Any], run: str, n: int) -> OutgoingMessage:
    return OutgoingMessage(
        body=body, event_type=body["event_type"], attributes={"correlation_id": f"demo-{run}-{n:02d}"}
    )


def cases(run: str) -> list[Case]:
    """Every path: normal, cancelled, updated (internal and not), high value, duplicate, poison, invalid."""
    orders = [
        ("normal order", _order(run, 1, f"c-{run}-a", "standard", "120.00")),
        ("normal order", _order(run, 2, f"c-{run}-b", "standard", "80.50")),
        ("normal order", _order(run, 3, f"c-{run}-c", "premium", "300.00")),
        ("normal order, later cancelled", _order(run, 4, f"c-{run}-a", "standard", "45.00")),
        ("high value, enterprise (needs an account manager)", _order(run, 5, f"c-{run}-d", "enterprise", "15000.00")),
        ("high value, premium", _order(run, 6, f"c-{run}-b", "premium", "2500.00")),
        ("high amount, standard tier (not routed)", _order(run, 7, f"c-{run}-c", "standard", "5000.00")),
    ]
    result = [Case(path, _message(body, run, i)) for i, (path, body) in enumerate(orders, start=1)]
    result.append(Case("duplicate of order 1 (same message sent again)", result[0].message))
    result.append(
        Case(
            "cancellation",
            _message(
                {"event_type": "order.cancelled", "order_id": f"o-{run}-04", "reason": "customer request"}, run, 9
            ),
        )
    )
    result.append(
        Case(
            "internal update (not for the customer)",
            _message(
                {
                    "event_type": "order.updated",
                    "order_id": f"o-{run}-01",
                    "update_id": "u-1",
                    "note": "packed",
                    "internal": True,
                },
                run,
                10,
            ),
        )
    )
    result.append(
        Case(
            "customer-visible update",
            _message(
                {
                    "event_type": "order.updated",
                    "order_id": f"o-{run}-02",
                    "update_id": "u-2",
                    "note": "shipped",
                    "internal": False,
                },
                run,
                11,
            ),
        )
    )
    result.append(
        Case(
            "poison pill (not JSON)",
            None,
            raw_body=f'{{"event_type": "order.created", "order_id": "o-{run}-12", "total": ',
        )
    )
    invalid = _order(run, 13, f"c-{run}-e", "standard", "10.00")
    invalid["total"] = "ten dollars"
    result.append(Case("invalid order (total is not a number)", _message(invalid, run, 13)))
    return result


def expected_balances(run: str) -> dict[str, Decimal]:
    """Each account's balance after the workload: minus every valid order once, plus the refund."""
    balances: dict[str, Decimal] = {}
    totals: dict[str, tuple[str, Decimal]] = {}
    for case in cases(run):
        body = case.body
        if not isinstance(body, dict) or not case.path.startswith(("normal", "high")):
            continue
        totals[body["order_id"]] = (body["customer_id"], Decimal(body["total"]))
        balances[body["customer_id"]] = balances.get(body["customer_id"], Decimal(0)) - Decimal(body["total"])
    customer, total = totals[f"o-{run}-04"]  # cancelled
    balances[customer] += total
    return balances
