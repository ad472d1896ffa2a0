"""The messages on ``order-processing``: an order placed, cancelled, or updated.

Their limits (identifiers, money, texts) are the system's, from :mod:`orders_common.limits`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from orders_common.limits import (
    MAX_ITEMS_PER_ORDER,
    MAX_QUANTITY,
    Currency,
    CustomerTier,
    Identifier,
    Money,
    Note,
    Reason,
)


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrderLine(_Message):
    sku: Identifier
    quantity: Annotated[int, Field(gt=0, le=MAX_QUANTITY)]
    unit_price: Money


class OrderCreated(_Message):
    """A customer placed an order."""

    event_type: Literal["order.created"]
    order_id: Identifier
    customer_id: Identifier
    customer_tier: CustomerTier = "standard"
    total: Money
    currency: Currency = "USD"
    items: list[OrderLine] = Field(default_factory=list, max_length=MAX_ITEMS_PER_ORDER)


class OrderCancelled(_Message):
    """A customer cancelled an order (it may arrive before the order itself: it is kept until then)."""

    event_type: Literal["order.cancelled"]
    order_id: Identifier
    reason: Reason = ""


class OrderUpdated(_Message):
    """A change to an order that is not a cancellation; ``internal`` ones are not for the customer."""

    event_type: Literal["order.updated"]
    order_id: Identifier
    update_id: Identifier
    note: Note
    internal: bool = False


OrderMessageType = OrderCreated | OrderCancelled | OrderUpdated
OrderMessage = Annotated[OrderMessageType, Field(discriminator="event_type")]
order_message_adapter: TypeAdapter[OrderMessageType] = TypeAdapter(OrderMessage)
