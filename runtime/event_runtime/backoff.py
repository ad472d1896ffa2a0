"""Capped exponential backoff for SQS redelivery.

Example:
    >>> [retry_delay_seconds(retry) for retry in range(8)]
    [10, 20, 40, 80, 160, 320, 640, 900]
"""

from __future__ import annotations

#: SQS caps DelaySeconds at 900 s (15 minutes).
MAX_DELAY_SECONDS = 900
BASE_DELAY_SECONDS = 10


def retry_delay_seconds(retry: int, *, base: int = BASE_DELAY_SECONDS, cap: int = MAX_DELAY_SECONDS) -> int:
    """Delay before retry number ``retry`` (0-based): ``min(cap, base * 2**retry)``."""
    if retry < 0:
        raise ValueError(f"retry must be >= 0, got {retry}")
    # Cap the exponent too, so a huge retry count cannot build a huge integer.
    return min(cap, base * 2 ** min(retry, 32))
