"""Timed events in clock order: task outcomes now, hook retries later.

With a manual clock, `advance` steps the clock to each event's time before running it, so an
event sees the same `now` it would have seen under wall time and a test that advances 60 s gets
every completion and callback of that minute, in order. Not locked by itself: the backend calls it
under its lock.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Scheduler"]


@dataclass(order=True)
class _Event:
    at: float
    seq: int
    action: Callable[[], None] = field(compare=False)


class Scheduler:
    def __init__(self) -> None:
        self._events: list[_Event] = []
        self._counter = itertools.count()

    def schedule(self, at: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, _Event(at, next(self._counter), action))

    def next_due(self) -> float | None:
        return self._events[0].at if self._events else None

    def pop_due_event(self, now: float) -> tuple[float, Callable[[], None]] | None:
        if self._events and self._events[0].at <= now:
            event = heapq.heappop(self._events)
            return event.at, event.action
        return None

    def clear(self) -> None:
        self._events.clear()

    def __len__(self) -> int:
        return len(self._events)
