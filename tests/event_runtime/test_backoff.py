"""event_runtime.backoff: the delay before each retry, capped exponential within what SQS allows."""

from __future__ import annotations

import pytest

from event_runtime.backoff import retry_delay_seconds


@pytest.mark.parametrize(("retry", "delay"), [(0, 10), (1, 20), (3, 80), (6, 640), (7, 900), (50, 900)])
def test_retry_delay_is_capped_exponential(retry: int, delay: int) -> None:
    assert retry_delay_seconds(retry) == delay


def test_retry_delay_refuses_a_negative_retry() -> None:
    with pytest.raises(ValueError, match="retry must be >= 0"):
        retry_delay_seconds(-1)


def test_the_base_and_the_cap_can_be_chosen() -> None:
    assert [retry_delay_seconds(retry, base=1, cap=5) for retry in range(5)] == [1, 2, 4, 5, 5]


def test_a_huge_retry_count_is_the_cap_without_building_a_huge_number() -> None:
    assert retry_delay_seconds(10**9) == 900
