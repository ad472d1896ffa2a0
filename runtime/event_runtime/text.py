"""Text that SQS and SNS can carry: anything else in a body or attribute value is refused."""

from __future__ import annotations

import re

#: The characters SQS and SNS carry in a message body or attribute value (anything else is refused:
#: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
_CARRIABLE = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")


def escape_uncarriable(text: str) -> str:
    r"""``text`` with every character SQS and SNS cannot carry written as ``\uXXXX`` (for reasons and logs).

    >>> escape_uncarriable("field \ufffe is not allowed")
    'field \\ufffe is not allowed'
    """
    if _CARRIABLE.fullmatch(text):
        return text
    return "".join(char if _CARRIABLE.fullmatch(char) else f"\\u{ord(char):04x}" for char in text)


def carriable(text: str) -> str:
    """``text``, if SQS and SNS can carry every character of it; else ValueError naming the first that they cannot.

    A JSON body may spell any code point as an escape (``"\\ufffe"``); decoded, it must still fit in the
    messages the system sends on.

    >>> carriable("Grüße, 注文 🚚")
    'Grüße, 注文 🚚'
    >>> carriable("bad \ufffe")
    Traceback (most recent call last):
    ...
    ValueError: contains U+FFFE, which SQS and SNS cannot carry
    """
    if _CARRIABLE.fullmatch(text):
        return text
    bad = next(char for char in text if not _CARRIABLE.fullmatch(char))
    raise ValueError(f"contains U+{ord(bad):04X}, which SQS and SNS cannot carry")
