"""The messages on ``order-processing``: an order placed, cancelled, or updated."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrderLine(_Message):
    sku: Identifier
    quantity: Annotated[int, Field(gt=0, le=10_000)]
    unit_price: Money


class OrderCreated(_Message):
    """A customer placed an order."""

    event_type: Literal["order.created"]
    order_id: Identifier
    customer_id: Identifier
    customer_tier: Literal["standard", "premium", "enterprise"] = "standard"
    total: Money
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    items: list[OrderLine] = Field(default_factory=list, max_length=100)


class OrderCancelled(_Message):
    """A customer cancelled an order that was placed before."""

    event_type: Literal["order.cancelled"]
    order_id: Identifier
    reason: Annotated[str, Field(max_length=500)] = ""


class OrderUpdated(_Message):
    """A change to an order that is not a cancellation; ``internal`` ones are not for the customer."""

    event_type: Literal["order.updated"]
    order_id: Identifier
    update_id: Identifier
    note: Annotated[str, Field(min_length=1, max_length=500)]
    internal: bool = False


OrderMessageType = OrderCreated | OrderCancelled | OrderUpdated
OrderMessage = Annotated[OrderMessageType, Field(discriminator="event_type")]
order_message_adapter: TypeAdapter[OrderMessageType] = TypeAdapter(OrderMessage)
