"""Moving a manual clock forward: every due event at its own time, and a barrier for hooks.

The clock (`domain.clock`) says what time it is and the scheduler (`domain.scheduler`) what is
due; `advance_to` walks the two forward together. Time does not pass a point where a failed
in-flight hook delivery would retry until that delivery is done, so retries land inside the
window, in order. The backend's lock is released while waiting, so a receiver may call the API
meanwhile. The domain knows hook delivery only through `Deliveries`, the protocol below, which
`delivery.dispatcher.HookDispatcher` implements: nothing here imports the delivery package.
"""

from __future__ import annotations

import threading
from typing import Protocol

from mock_server.domain.clock import ManualClock
from mock_server.domain.scheduler import Scheduler
from mock_server.records import HookAttempt, Task

__all__ = ["Deliveries", "Settles", "Ticker", "advance_to"]


class Deliveries(Protocol):
    """What the domain, the control API and the modes ask of hook delivery."""

    def task_finished(self, task: Task) -> None:
        """A task reached 1 or 2 (called under the backend lock)."""
        ...

    def task_expired(self, task_id: str) -> None:
        """A finished task was forgotten (retention; called under the backend lock)."""
        ...

    def reset(self) -> None: ...

    def restore(self) -> None:
        """Pick up the store's journal (called once, when attached)."""
        ...

    def attempts(self) -> list[HookAttempt]: ...

    def redeliver(self, hook_id: str) -> HookAttempt: ...

    def retry_horizon(self) -> float | None:
        """The earliest time a retry of an in-flight POST could be due, or None."""
        ...

    def busy(self) -> bool: ...

    def wait_idle(self, timeout: float | None = None) -> bool: ...

    def add_own_address(self, host: str, port: int) -> None: ...

    def close(self) -> None: ...


class Settles(Protocol):
    def settle(self) -> None:
        """Apply every outcome that is due by now."""
        ...


class Ticker:
    """Applies due outcomes on wall time, so tasks finish (and hooks fire) even when nobody polls.

    A manual clock needs no ticker: its time only moves inside `advance`.
    """

    def __init__(self, backend: Settles, interval: float = 0.05) -> None:
        self._backend = backend
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mj-mock-ticker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._backend.settle()


def advance_to(
    target: float,
    *,
    clock: ManualClock,
    lock: threading.RLock,
    scheduler: Scheduler,
    deliveries: Deliveries | None,
    wait_timeout: float,
) -> float:
    """Run every event due by `target` at its own time, then set the clock to `target`;
    returns only once the deliveries it started are done, as in-process."""
    wait_for_hooks = deliveries is not None
    while True:
        with lock:
            must_wait = False
            if wait_for_hooks and deliveries is not None:
                next_due = scheduler.next_due()
                limit = target if next_due is None else min(target, next_due)
                horizon = deliveries.retry_horizon()
                must_wait = horizon is not None and horizon <= limit
            if not must_wait:
                event = scheduler.pop_due_event(target)
                if event is not None:
                    at, action = event
                    if at > clock.now():
                        clock.set(at)
                    action()
                    continue
                if not (wait_for_hooks and deliveries is not None and deliveries.busy()):
                    clock.set(max(target, clock.now()))
                    return target
        # Outside the lock: a receiver may call the API while we wait for it.
        assert deliveries is not None
        wait_for_hooks = deliveries.wait_idle(timeout=wait_timeout)
