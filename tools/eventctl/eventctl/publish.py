"""Sample orders for the order-processing queue: a mix of event types and customer tiers."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from orders_functions.common.producer import OutgoingMessage

DEFAULT_MIX = {"order.created": 0.7, "order.cancelled": 0.2, "order.updated": 0.1}
DEFAULT_TIERS = {"standard": 0.6, "premium": 0.3, "enterprise": 0.1}


def parse_weights(text: str, known: set[str]) -> dict[str, float]:
    """``"order.created=7,order.cancelled=3"`` -> weights; unknown names are refused."""
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        if name not in known:
            raise ValueError(f"unknown '{name}': use {', '.join(sorted(known))}")
        try:
            weights[name] = float(value)
        except ValueError:
            raise ValueError(f"'{part}' needs a number after '='") from None
    if not weights or sum(weights.values()) <= 0:
        raise ValueError("give at least one positive weight, like order.created=7")
    return weights


@dataclass
class SampleOrders:
    """Orders, then cancellations and updates of orders made before."""

    mix: dict[str, float]
    tiers: dict[str, float]
    seed: int | None = None

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._created: list[str] = []
        self.counts: Counter[str] = Counter()

    def messages(self, count: int) -> Iterator[OutgoingMessage]:
        for _ in range(count):
            kind = self._random.choices(list(self.mix), weights=list(self.mix.values()))[0]
            if kind != "order.created" and not self._created:
                kind = "order.created"
            self.counts[kind] += 1
            yield self._message(kind)

    def _message(self, kind: str) -> OutgoingMessage:
        correlation = {"correlation_id": f"eventctl-{uuid.UUID(int=self._random.getrandbits(128))}"}
        body: dict[str, object]
        if kind == "order.created":
            order_id = f"o-{uuid.UUID(int=self._random.getrandbits(128)).hex[:12]}"
            self._created.append(order_id)
            tier = self._random.choices(list(self.tiers), weights=list(self.tiers.values()))[0]
            total = round(self._random.uniform(5, 3000 if tier == "standard" else 15000), 2)
            body = {
                "event_type": kind,
                "order_id": order_id,
                "customer_id": f"c-{self._random.randint(1, 50):03d}",
                "customer_tier": tier,
                "total": f"{total:.2f}",
                "currency": "USD",
                "items": [{"sku": "sku-1", "quantity": 1, "unit_price": f"{total:.2f}"}],
            }
        elif kind == "order.cancelled":
            body = {"event_type": kind, "order_id": self._random.choice(self._created), "reason": "customer request"}
        else:
            body = {
                "event_type": kind,
                "order_id": self._random.choice(self._created),
                "update_id": uuid.UUID(int=self._random.getrandbits(128)).hex[:12],
                "note": "packed",
                "internal": self._random.random() < 0.5,
            }
        return OutgoingMessage(body=body, event_type=kind, attributes=correlation)
