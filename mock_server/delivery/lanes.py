"""Hook delivery isolated per receiver, and a hard deadline per attempt.

One shared pool let 50 receivers that never answer hold every worker, so a healthy receiver's
hook waited a minute. Here each receiver (scheme, host, port) is a lane with at most
`per_lane` POSTs in flight, and lanes get threads of their own (up to `max_threads` in all), so
a stalled host delays only its own hooks. A lane's thread exits when the lane is empty.

`Watchdog` makes an attempt's timeout a wall-clock total: a receiver that drips a byte every
2 s would otherwise hold a 10 s per-read timeout for as long as it likes.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["LaneExecutor", "Watchdog", "lane_key"]

log = logging.getLogger(__name__)


def lane_key(url: str) -> str:
    """The receiver a URL names: `scheme://host:port`, lower-cased, default port filled in."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{(parts.hostname or '').lower()}:{port or default}"


@dataclass
class _Lane:
    pending: deque[Callable[[], None]] = field(default_factory=deque)
    active: int = 0


class LaneExecutor:
    """Runs callables per lane: FIFO within a lane, lanes independent of each other."""

    def __init__(self, per_lane: int = 2, max_threads: int = 64, name: str = "mj-mock-hook"):
        self._per_lane = max(1, per_lane)
        self._max_threads = max(1, max_threads)
        self._name = name
        self._lock = threading.Lock()
        self._lanes: dict[str, _Lane] = {}
        self._starved: deque[str] = deque()  # lanes with work but no thread to spare
        self._threads = 0
        self._closed = False
        self._numbers = itertools.count(1)

    def submit(self, key: str, action: Callable[[], None]) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the delivery queue is shut down")
            lane = self._lanes.setdefault(key, _Lane())
            lane.pending.append(action)
            self._start_thread(key, lane)

    def thread_count(self) -> int:
        with self._lock:
            return self._threads

    def shutdown(self) -> None:
        """Drop what has not started; running POSTs end at their deadline."""
        with self._lock:
            self._closed = True
            self._lanes.clear()
            self._starved.clear()

    def _start_thread(self, key: str, lane: _Lane) -> None:
        """(lock held) A thread for `lane` if it may have one, else a place in the queue."""
        if not lane.pending or lane.active >= self._per_lane:
            return
        if self._threads >= self._max_threads:
            if key not in self._starved:
                self._starved.append(key)
            return
        lane.active += 1
        self._threads += 1
        thread = threading.Thread(
            target=self._run, args=(key,), name=f"{self._name}-{next(self._numbers)}", daemon=True
        )
        thread.start()

    def _next_starved(self) -> str | None:
        """(lock held) A waiting lane this thread can move on to, taking a slot in it."""
        while self._starved:
            key = self._starved.popleft()
            lane = self._lanes.get(key)
            if lane is not None and lane.pending and lane.active < self._per_lane:
                lane.active += 1
                if lane.pending and lane.active < self._per_lane:
                    self._starved.append(key)  # it could use yet another thread
                return key
        return None

    def _run(self, key: str) -> None:
        while True:
            with self._lock:
                lane = self._lanes.get(key)
                if self._closed or lane is None or not lane.pending:
                    if lane is not None:
                        lane.active -= 1
                        if not lane.active and not lane.pending:
                            del self._lanes[key]
                    next_key = None if self._closed else self._next_starved()
                    if next_key is None:
                        self._threads -= 1
                        return
                    key = next_key
                    continue
                action = lane.pending.popleft()
            try:
                action()
            except Exception:  # a delivery bug must not kill the lane
                log.exception("hook delivery failed unexpectedly")


class Watchdog:
    """Calls `action` at a wall-clock deadline unless cancelled first; one thread for all."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._live: set[int] = set()
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float, action: Callable[[], None]) -> Callable[[], None]:
        """Schedule `action` at `deadline` (a `time.monotonic()` value); returns the cancel."""
        with self._cond:
            number = next(self._ids)
            self._live.add(number)
            heapq.heappush(self._heap, (deadline, number, action))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="mj-mock-hook-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()

        def cancel() -> None:
            with self._cond:
                self._live.discard(number)

        return cancel

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    while self._heap and self._heap[0][1] not in self._live:
                        heapq.heappop(self._heap)
                    if not self._heap:
                        # Idle for a while: let the thread go; `arm` starts a new one.
                        if not self._cond.wait(timeout=30) and not self._heap:
                            self._thread = None
                            return
                        continue
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        _, number, action = heapq.heappop(self._heap)
                        self._live.discard(number)
                        break
                    self._cond.wait(wait)
            try:
                action()
            except Exception:
                log.exception("hook watchdog action failed")
