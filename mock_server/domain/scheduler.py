"""Timed events in clock order: task outcomes now, hook retries later.

With a manual clock, `advance` steps the clock to each event's time before running it, so an
event sees the same `now` it would have seen under wall time and a test that advances 60 s gets
every completion and callback of that minute, in order. Not locked by itself: the backend calls it
under its lock.
"""

from __future__ import annotations

import functools
import heapq
import itertools
from collections.abc import Callable

__all__ = ["Scheduler"]


# An event is `(at, seq, action, argument)`, compared by time then by order of scheduling (`seq`
# is unique, so the action is never compared). A plain tuple, not an object with a closure: a
# store of 100,000 tasks held two events each, and the six objects a dataclass event and its
# lambda made were most of what every garbage collection walked (issue 15's submit p99).
_NO_ARGUMENT = object()


class Scheduler:
    def __init__(self) -> None:
        self._events: list[tuple[float, int, Callable[..., None], object]] = []
        self._counter = itertools.count()

    def schedule(
        self, at: float, action: Callable[..., None], argument: object = _NO_ARGUMENT
    ) -> None:
        """Run `action()` at `at`, or `action(argument)` when one is given."""
        heapq.heappush(self._events, (at, next(self._counter), action, argument))

    def next_due(self) -> float | None:
        return self._events[0][0] if self._events else None

    def pop_due_event(self, now: float) -> tuple[float, Callable[[], None]] | None:
        if self._events and self._events[0][0] <= now:
            at, _, action, argument = heapq.heappop(self._events)
            if argument is _NO_ARGUMENT:
                return at, action
            return at, functools.partial(action, argument)
        return None

    def clear(self) -> None:
        self._events.clear()

    def __len__(self) -> int:
        return len(self._events)
