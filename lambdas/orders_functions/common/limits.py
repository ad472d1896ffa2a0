"""The limits every model of the system shares: identifiers, money, texts, and the ids derived from them.

Each identifier that enters the system (an order, a customer account, an update, a SKU) is an
:data:`Identifier`: 1 to :data:`IDENTIFIER_MAX_LENGTH` characters of ``[A-Za-z0-9_.:-]``.
Every id the system derives from identifiers is built here, by one function each, and its type
is sized from the identifiers it is made of, so a derived id fits wherever it travels by
construction (``tests/orders_functions/common/test_limits.py`` enumerates the derivations against every model
field and AWS limit they reach). A message whose ids do not fit is refused where it enters, as
poison, with the field named, before anything happens.

Money is a :data:`Money` (never negative) or a :data:`SignedMoney` (a balance change): at most
:data:`MONEY_MAX_DIGITS` digits, two decimal places, always held with exactly two places
(``120.5`` and ``120.50`` are the same amount). The largest amount stays below 10⁹, the range in
which SNS compares numeric message attributes in filter policies, so every order reaches the
subscribers whose filters compare its amount.

Example:
    >>> charge_transaction_id("o-1"), refund_transaction_id("o-1")
    ('o-1.charge', 'o-1.refund')
    >>> order_event_id("o-1", "order.updated", "u-7")
    'o-1/order.updated/u-7'
    >>> from pydantic import TypeAdapter
    >>> TypeAdapter(Money).validate_python("120.5")
    Decimal('120.50')
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from event_runtime.text import carriable

#: Identifiers that enter the system: order, customer (account), update, SKU ids.
IDENTIFIER_MAX_LENGTH: Final = 64
IDENTIFIER_PATTERN: Final = r"^[A-Za-z0-9_.:-]+$"
#: A correlation id is opaque (any producer's format), but bounded.
CORRELATION_ID_MAX_LENGTH: Final = 128

#: The order event types and how long their names are.
ORDER_EVENT_TYPES: Final = ("order.created", "order.cancelled", "order.updated")
OrderEventType = Literal["order.created", "order.cancelled", "order.updated"]
#: Any event type a producer may send, known here or not: dot-separated lower-case words ("order.shipped").
#: A name of this shape that a consumer does not handle is acknowledged and counted; anything else is poison.
EVENT_TYPE_PATTERN: Final = r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$"
EVENT_TYPE_MAX_LENGTH: Final = 64

#: Suffixes of the balance transactions derived from an order id.
CHARGE_SUFFIX: Final = ".charge"
REFUND_SUFFIX: Final = ".refund"
TRANSACTION_ID_MAX_LENGTH: Final = IDENTIFIER_MAX_LENGTH + max(len(CHARGE_SUFFIX), len(REFUND_SUFFIX))
#: ``<order_id>/<event type>[/<update_id>]``: "/" is no identifier's character, so no two facts share an id.
EVENT_ID_SEPARATOR: Final = "/"
EVENT_ID_PATTERN: Final = r"^[A-Za-z0-9_.:/-]+$"
EVENT_ID_MAX_LENGTH: Final = (
    IDENTIFIER_MAX_LENGTH + 1 + max(len(t) for t in ORDER_EVENT_TYPES) + 1 + IDENTIFIER_MAX_LENGTH
)

#: Money: 9 digits before the point, 2 after (999,999,999.99 at most: below SNS's 10⁹ numeric range).
MONEY_MAX_DIGITS: Final = 11
MONEY_DECIMAL_PLACES: Final = 2
MONEY_MAX: Final = Decimal("999999999.99")
CENTS: Final = Decimal("0.01")
#: A balance is a sum of many changes: DynamoDB keeps 38 digits; we allow 16 before the point.
BALANCE_MAX_DIGITS: Final = 18

#: Texts (unicode allowed), in characters.
NOTE_MAX_LENGTH: Final = 500
REASON_MAX_LENGTH: Final = 500
DESCRIPTION_MAX_LENGTH: Final = 200
#: How many distinct updates one order accepts (they are kept in the order's item: 400 KB at most).
MAX_UPDATES_PER_ORDER: Final = 100
MAX_ITEMS_PER_ORDER: Final = 100
MAX_QUANTITY: Final = 10_000

#: Money written as text: plain digits with at most two decimal places (no sign on an amount that cannot be
#: negative, no exponent, no spaces). A JSON number is read exactly (never through a float).
MONEY_TEXT_PATTERN: Final = r"^\d{1,9}(\.\d{1,2})?$"
SIGNED_MONEY_TEXT_PATTERN: Final = r"^-?\d{1,9}(\.\d{1,2})?$"
#: When something happened: an ISO 8601 date and time with its offset, as the schemas state it.
TIMESTAMP_PATTERN: Final = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$"
#: The schemas' statement of :func:`carriable` (no control character but tab, newline and return; no
#: surrogate; not U+FFFE or U+FFFF).
CARRIABLE_PATTERN: Final = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\ud800-\\udfff\\ufffe\\uffff]*$"

#: What a money reader enforces that JSON Schema cannot state (listed in the schemas' ``x-reader-rules``).
MONEY_NUMBER_READER_RULE: Final = "a money number has at most x-decimal-places decimal places and x-max-digits digits"

#: AWS limits the derived ids reach.
SQS_MAX_GROUP_ID_LENGTH: Final = 128
SQS_MAX_DEDUPLICATION_ID_LENGTH: Final = 128
DYNAMODB_MAX_PARTITION_KEY_BYTES: Final = 2048
DYNAMODB_MAX_SORT_KEY_BYTES: Final = 1024


def _cents(amount: Decimal) -> Decimal:
    cents = amount.quantize(CENTS)
    return cents.copy_abs() if cents.is_zero() else cents  # "-0" is 0.00, not -0.00


def iso_timestamp(text: str) -> str:
    """``text``, if it is an ISO 8601 date and time with its offset (``Z`` or ``+00:00``); else ValueError.

    >>> iso_timestamp("2026-12-02T06:02:18.123Z")
    '2026-12-02T06:02:18.123Z'
    >>> iso_timestamp("yesterday")
    Traceback (most recent call last):
    ...
    ValueError: not an ISO 8601 date and time: 'yesterday'
    """
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date and time: {text!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone offset (add Z or +00:00)")
    if not re.fullmatch(TIMESTAMP_PATTERN, text):
        raise ValueError(f"{text!r} is not written as YYYY-MM-DDThh:mm[:ss[.fff]] with Z or ±hh:mm")
    return text


def _money_text(pattern: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(pattern, value):
            raise ValueError(f"money as text is digits with at most two decimal places, like 120.50, not {value!r}")
        return value

    return BeforeValidator(check)


def _money_schema(minimum: Decimal, text_pattern: str) -> WithJsonSchema:
    """What a reader of money takes, stated in JSON Schema: a number in range, or its text.

    JSON Schema cannot state a number's decimal places reliably (``multipleOf: 0.01`` fails on binary
    floats in common validators), so they are stated as the annotations ``x-decimal-places`` and
    ``x-max-digits``, which the compatibility check compares and the readers enforce.
    """
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": float(minimum), "maximum": float(MONEY_MAX)},
                {"type": "string", "pattern": text_pattern},
            ],
            "x-max-digits": MONEY_MAX_DIGITS,
            "x-decimal-places": MONEY_DECIMAL_PLACES,
        },
        mode="validation",
    )


_CARRIABLE_SCHEMA: Final = {"pattern": CARRIABLE_PATTERN}

Identifier = Annotated[str, Field(min_length=1, max_length=IDENTIFIER_MAX_LENGTH, pattern=IDENTIFIER_PATTERN)]
#: When something happened: ISO 8601 with an offset.
Timestamp = Annotated[str, AfterValidator(iso_timestamp), Field(json_schema_extra={"pattern": TIMESTAMP_PATTERN})]
CorrelationId = Annotated[
    str,
    Field(min_length=1, max_length=CORRELATION_ID_MAX_LENGTH, json_schema_extra=_CARRIABLE_SCHEMA),
    AfterValidator(carriable),
]
TransactionId = Annotated[str, Field(min_length=1, max_length=TRANSACTION_ID_MAX_LENGTH, pattern=IDENTIFIER_PATTERN)]
EventId = Annotated[str, Field(min_length=1, max_length=EVENT_ID_MAX_LENGTH, pattern=EVENT_ID_PATTERN)]
Money = Annotated[
    Decimal,
    _money_text(SIGNED_MONEY_TEXT_PATTERN),  # a negative text is refused by the range, which says why
    Field(ge=0, le=MONEY_MAX, max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, allow_inf_nan=False),
    AfterValidator(_cents),
    _money_schema(Decimal(0), MONEY_TEXT_PATTERN),
]
SignedMoney = Annotated[
    Decimal,
    _money_text(SIGNED_MONEY_TEXT_PATTERN),
    Field(
        ge=-MONEY_MAX,
        le=MONEY_MAX,
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        allow_inf_nan=False,
    ),
    AfterValidator(_cents),
    _money_schema(-MONEY_MAX, SIGNED_MONEY_TEXT_PATTERN),
]
Note = Annotated[
    str, Field(min_length=1, max_length=NOTE_MAX_LENGTH, json_schema_extra=_CARRIABLE_SCHEMA), AfterValidator(carriable)
]
Reason = Annotated[
    str, Field(max_length=REASON_MAX_LENGTH, json_schema_extra=_CARRIABLE_SCHEMA), AfterValidator(carriable)
]
Description = Annotated[
    str, Field(max_length=DESCRIPTION_MAX_LENGTH, json_schema_extra=_CARRIABLE_SCHEMA), AfterValidator(carriable)
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
CustomerTier = Literal["standard", "premium", "enterprise"]


def charge_transaction_id(order_id: str) -> str:
    """The balance transaction that charges an order to its customer's account."""
    return f"{order_id}{CHARGE_SUFFIX}"


def refund_transaction_id(order_id: str) -> str:
    """The balance transaction that gives a cancelled order's charge back."""
    return f"{order_id}{REFUND_SUFFIX}"


def order_event_id(order_id: str, event_type: str, update_id: str | None = None) -> str:
    """The one id of a stored state change of an order: every announcement of it carries this id.

    Its parts are joined with a character no identifier holds, so two different facts never share an id.
    """
    parts = [order_id, event_type] if update_id is None else [order_id, event_type, update_id]
    return EVENT_ID_SEPARATOR.join(parts)


def transaction_description(kind: str, order_id: str) -> str:
    """The ledger text of a charge or refund."""
    return f"{kind} for order {order_id}"
