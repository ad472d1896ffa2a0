"""event_runtime.text: what SQS and SNS can carry, refused or escaped character by character."""

from __future__ import annotations

import re

import pytest

from event_runtime.text import carriable, escape_uncarriable


@pytest.mark.parametrize(
    "text",
    ["", "plain", "tab\tnew line\ncarriage return\r", "Grüße, 注文", "🚚 beyond the basic plane", "\ud7ff\ue000\ufffd"],
)
def test_what_sqs_carries_passes_unchanged(text: str) -> None:
    assert carriable(text) == text
    assert escape_uncarriable(text) == text


@pytest.mark.parametrize(
    ("text", "first"),
    [("a\x00b", "U+0000"), ("bell \x07", "U+0007"), ("x\ufffe\uffff", "U+FFFE"), ("lone \ud800", "U+D800")],
)
def test_a_character_sqs_refuses_is_named_the_first_time_it_occurs(text: str, first: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"contains {first}, which SQS and SNS cannot carry")):
        carriable(text)


def test_escaping_writes_each_refused_character_as_its_code_and_keeps_the_rest() -> None:
    assert escape_uncarriable("a\x00b\ufffeé") == "a\\u0000b\\ufffeé"
    assert carriable(escape_uncarriable("\x01\x02\ud800")) == "\\u0001\\u0002\\ud800"
