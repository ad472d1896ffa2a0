"""The messages on ``order-processing``: an order placed, cancelled, or updated.

Their limits (identifiers, money, texts) are the system's, from :mod:`orders_functions.common.limits`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from orders_functions.common.limits import (
    MAX_ITEMS_PER_ORDER,
    MAX_QUANTITY,
    MONEY_NUMBER_READER_RULE,
    Currency,
    CustomerTier,
    Identifier,
    Money,
    Note,
    Reason,
)


class _Message(BaseModel):
    # Tolerant: fields a producer adds (``retry_count``, say) are ignored; the ones read are strict.
    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_not_sent(cls, data: Any) -> Any:
        """A field sent as null counts as not sent (as for order events): its default applies, or it is required."""
        if isinstance(data, dict):
            return {name: value for name, value in data.items() if value is not None}
        return data


class OrderLine(_Message):
    sku: Identifier
    quantity: Annotated[int, Field(gt=0, le=MAX_QUANTITY)]
    unit_price: Money


#: What the reader refuses that JSON Schema cannot state (the schema lists them as ``x-reader-rules``).
ORDER_CREATED_READER_RULES = (
    "total and amount, when both are sent, are the same amount",
    MONEY_NUMBER_READER_RULE,
)


def _total_or_amount(schema: dict[str, Any]) -> None:
    """The reader's contract: ``amount`` is read as ``total`` when ``total`` is absent (one of them is needed)."""
    schema["properties"]["amount"] = {
        **schema["properties"]["total"],
        "title": "Amount (the total, when total is absent)",
    }
    schema["required"] = [name for name in schema["required"] if name != "total"]
    schema["if"] = {"not": {"required": ["total"]}}
    schema["then"] = {"required": ["amount"]}
    schema["x-reader-rules"] = list(ORDER_CREATED_READER_RULES)


class OrderCreated(_Message):
    """A customer placed an order.

    ``amount`` is read as the order's ``total`` when ``total`` is absent (the shape some producers
    send); both present and different is poison.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, json_schema_extra=_total_or_amount)

    event_type: Literal["order.created"]
    order_id: Identifier
    customer_id: Identifier
    customer_tier: CustomerTier = "standard"
    total: Money
    currency: Currency = "USD"
    items: list[OrderLine] = Field(default_factory=list, max_length=MAX_ITEMS_PER_ORDER)

    @model_validator(mode="before")
    @classmethod
    def _amount_is_the_total(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("amount") is None:  # null: not sent
            return data
        try:
            amount = _money.validate_python(data["amount"])
        except ValidationError as error:  # money is strict, and the reason names the field the producer sent
            raise ValueError(f"amount: {error.errors(include_url=False)[0]['msg']}") from None
        if "total" not in data:
            return {**data, "total": amount}
        try:
            total = _money.validate_python(data["total"])
        except ValidationError:
            return data  # the total's own problem is reported by its field
        if total != amount:
            raise ValueError(f"total ({total}) and amount ({amount}) differ; send one, or both the same")
        return data


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


_money: TypeAdapter[Any] = TypeAdapter(Money)

OrderMessageType = OrderCreated | OrderCancelled | OrderUpdated
#: The event types order-processing acts on; any other well-formed type is acknowledged and counted.
ORDER_MESSAGE_TYPES = ("order.created", "order.cancelled", "order.updated")
OrderMessage = Annotated[OrderMessageType, Field(discriminator="event_type")]
order_message_adapter: TypeAdapter[OrderMessageType] = TypeAdapter(OrderMessage)
