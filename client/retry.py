"""When to try again, and how long to wait first: pure functions, so the rules are testable
without a network or a clock.

Exponential backoff spreads retries out while a service recovers; jitter keeps many clients that
failed together from retrying together. The random draw is a parameter so a test can pin it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

__all__ = ["Backoff", "RetryPolicy", "parse_retry_after"]

Random = Callable[[], float]


@dataclass(frozen=True)
class Backoff:
    """`initial * factor**attempt`, capped at `maximum`, then scaled down by up to `jitter`.

    Jitter only shortens a delay (the result lies in `[d * (1 - jitter), d]`), so `maximum` is a
    true upper bound a caller can budget for.
    """

    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 8.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.initial < 0 or self.maximum < 0 or self.factor < 1 or not 0 <= self.jitter <= 1:
            raise ValueError(
                "Backoff needs initial >= 0, maximum >= 0, factor >= 1 and 0 <= jitter <= 1"
            )

    def delay(self, attempt: int, rand: Random = random.random) -> float:
        """The pause before retry number `attempt + 1` (attempt counts from 0)."""
        # Capping the exponent first keeps a huge attempt number from overflowing the float.
        base = min(self.maximum, self.initial * self.factor ** min(attempt, 64))
        return base * (1.0 - self.jitter * rand())


@dataclass(frozen=True)
class RetryPolicy:
    """How often an idempotent call is retried, and how Retry-After is honoured.

    `max_retry_after` caps the server's Retry-After: a misconfigured server asking for an hour
    must not freeze a caller that set a 30 s budget.
    """

    max_retries: int = 3
    backoff: Backoff = Backoff()
    max_retry_after: float = 30.0

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.max_retry_after < 0:
            raise ValueError("RetryPolicy needs max_retries >= 0 and max_retry_after >= 0")

    def delay(
        self, attempt: int, *, retry_after: float | None = None, rand: Random = random.random
    ) -> float:
        """The pause before the next try: the server's Retry-After (capped) when it gave one."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        return self.backoff.delay(attempt, rand)

    @classmethod
    def coerce(cls, retries: int | RetryPolicy) -> RetryPolicy:
        """Accept a bare count, which is what most callers want to tune."""
        if isinstance(retries, RetryPolicy):
            return retries
        if isinstance(retries, bool) or not isinstance(retries, int):
            kind = type(retries).__name__
            raise TypeError(f"retries must be an int or a RetryPolicy, not {kind}")
        return cls(max_retries=retries)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent
    or unreadable, so a garbled header falls back to ordinary backoff instead of failing."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())
