"""Time sources for the task lifecycle.

Everything that decides *when* a task finishes or a hook is retried reads time from a `Clock`, so a
test can swap wall time for a `ManualClock` and move time forward explicitly instead of sleeping.
Times are epoch seconds (floats) so `createdAt` stays a realistic epoch-millisecond value in both.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "RealClock"]


@runtime_checkable
class Clock(Protocol):
    """What the backend needs from time: a monotonic-enough 'now' in epoch seconds."""

    def now(self) -> float: ...

    @property
    def manual(self) -> bool:
        """True when time only moves on request, so nothing should poll it in the background."""
        ...


class RealClock:
    """Wall time. Anchored once to `time.time()` and advanced by `time.monotonic()`, so a system
    clock jump while the mock runs cannot make a task finish early or travel back in time."""

    def __init__(self) -> None:
        self._epoch_origin = time.time()
        self._mono_origin = time.monotonic()

    def now(self) -> float:
        return self._epoch_origin + (time.monotonic() - self._mono_origin)

    @property
    def manual(self) -> bool:
        return False


class ManualClock:
    """Time that only moves when a test calls `advance` or `set`.

    Starts at the wall time of its creation unless told otherwise, so `createdAt` values look real.
    """

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    @property
    def manual(self) -> bool:
        return True

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock cannot move backwards")
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, when: float) -> float:
        with self._lock:
            if when < self._now:
                raise ValueError("a clock cannot move backwards")
            self._now = when
            return self._now
