"""hookUrl callbacks: one POST per finished task, retried with backoff, every attempt journaled.

Attempts are scheduled on the backend's clock, so a manual-clock test sees the retry schedule
when it advances time. In server mode per-receiver lanes do the sending (`delivery.lanes`), so
no API request thread ever waits on a receiver and a receiver that never answers delays only its
own hooks; each attempt's timeout is a wall-clock total. In-process, sending happens inside
`advance`, in task order, which makes delivery deterministic. Delivery is at least once: a
receiver that fails, hangs or crashes is retried, and whatever is finally lost shows in the
journal as `failed`.

The journal (`delivery.journal`) is written through to the backend's store as it changes, and
read back when the dispatcher is attached: attempts still pending when the mock stopped are
scheduled again, and a task that finished just before a crash, with no
attempt recorded yet, gets its first one. At least once holds across restarts too.
"""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Any

from mock_server.delivery.journal import HookJournal
from mock_server.delivery.lanes import LaneExecutor, lane_key
from mock_server.delivery.policy import backoff, refusal
from mock_server.delivery.sender import HookSender, HttpHookSender, user_agent
from mock_server.errors import NotFound
from mock_server.records import HookAttempt, Task
from mock_server.web.wire import hook_payload

if TYPE_CHECKING:
    from mock_server.domain.lifecycle import MidjourneyBackend

__all__ = ["HookDispatcher"]


class HookDispatcher:
    """Turns finished tasks with a hookUrl into scheduled, journaled, retried deliveries."""

    def __init__(
        self,
        backend: MidjourneyBackend,
        *,
        sender: HookSender | None = None,
        synchronous: bool = False,
    ) -> None:
        self._backend = backend
        self._policy = backend.config.hooks
        self._sender = sender or HttpHookSender(self._policy.max_response_bytes)
        self._synchronous = synchronous
        self._executor = (
            None
            if synchronous
            else LaneExecutor(
                self._policy.per_receiver_concurrency, self._policy.max_delivery_threads
            )
        )
        # Where the mock itself listens: hooks there are refused unless `allow_self`.
        self._own_addresses: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight: dict[str, HookAttempt] = {}
        self._journal = HookJournal(backend.store)
        self._user_agent = user_agent()
        self._store = backend.store
        backend.attach_hooks(self)  # which calls `restore()`

    # -- what the control API shows -------------------------------------------------------

    def attempts(self) -> list[HookAttempt]:
        with self._lock:
            return self._journal.rows()

    def redeliver(self, hook_id: str) -> HookAttempt:
        """Send an attempt's payload again, as a new delivery starting now."""
        with self._lock:
            original = self._journal.get(hook_id)
        if original is None:
            raise NotFound(f"no hook attempt {hook_id!r}")
        return self._start(original.task_id, original.url, original.payload)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no POST is in flight (a manual-clock advance calls this between
        events, so a retry is scheduled inside the window that caused it)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while self._in_flight:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def retry_horizon(self) -> float | None:
        """The earliest time a retry of an in-flight POST could be due, or None.

        A manual-clock advance must not move past it before those POSTs finish, or the retry
        would be scheduled in the past; earlier events may run meanwhile, in parallel.
        """
        with self._lock:
            pending = [r for r in self._in_flight.values() if r.attempt <= self._policy.retries]
            if not pending:
                return None
            earliest = min(r.scheduled_at for r in pending)
        shortest = min(self._policy.backoff_seconds or (1.0,))
        return earliest + shortest / self._backend.config.time_scale

    def busy(self) -> bool:
        with self._lock:
            return bool(self._in_flight)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown()

    def add_own_address(self, host: str, port: int) -> None:
        """Tell the dispatcher where the mock listens (MockServer and the in-process mode do)."""
        with self._lock:
            self._own_addresses.add((host, port))

    # -- backend callbacks (run under the backend lock) -----------------------------------

    def task_finished(self, task: Task) -> None:
        if task.hook_url:
            self._start(task.task_id, task.hook_url, hook_payload(task, self._backend.config))

    def task_expired(self, task_id: str) -> None:
        """[decision] A task's journal rows go with it (`task_retention_seconds`), so a
        long-running mock's journal stays bounded too; a delivery still under way keeps its
        rows until it ends."""
        with self._lock:
            self._journal.forget_task(task_id)

    def reset(self) -> None:
        with self._lock:
            self._journal.reset()

    def restore(self) -> None:
        """Load the store's journal (the backend calls this, under its lock, when attaching)."""
        records = list(self._store.hook_attempts())
        with self._lock:
            self._journal.load(records)
            generation = self._journal.generation
        for record in records:
            if record.outcome == "pending":
                # Not sent, or sent without its answer recorded: send it again.
                record.generation = generation
                self._schedule(record)
        if not self._backend.restored:
            return
        started = {record.task_id for record in records}
        for task in self._store.tasks():
            if task.finished and task.hook_url and task.task_id not in started:
                self.task_finished(task)

    # -- delivery -------------------------------------------------------------------------

    def _start(self, task_id: str, url: str, payload: dict[str, Any]) -> HookAttempt:
        with self._lock:
            own = list(self._own_addresses)
        refused = refusal(url, self._policy, own)
        with self._lock:
            record = self._journal.new(task_id, url, 1, payload, self._backend.clock.now())
            if refused is not None:
                record.outcome, record.error = "refused", refused
            self._journal.save(record)
        if refused is None:
            self._schedule(record)
        return record

    def _schedule(self, record: HookAttempt) -> None:
        self._backend.schedule(record.scheduled_at, lambda: self._due(record))

    def _due(self, record: HookAttempt) -> None:
        if self._executor is None:
            self._send(record)
            return
        with self._lock:
            self._in_flight[record.hook_id] = record
        try:
            self._executor.submit(lane_key(record.url), lambda: self._send_tracked(record))
        except RuntimeError:  # shut down: the server is stopping
            self._untrack(record)

    def _send_tracked(self, record: HookAttempt) -> None:
        try:
            self._send(record)
        finally:
            self._untrack(record)

    def _untrack(self, record: HookAttempt) -> None:
        with self._idle:
            self._in_flight.pop(record.hook_id, None)
            self._idle.notify_all()

    def _forget_if_expired(self, task_id: str) -> None:
        """A delivery that ended after its task expired: its rows go now (the lock is held)."""
        if self._store.get_task(task_id) is None:
            self._journal.forget_task(task_id)

    def _send(self, record: HookAttempt) -> None:
        body = json.dumps(record.payload, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self._user_agent,
            "X-Mj-Mock-Hook-Id": record.hook_id,
            "X-Mj-Mock-Attempt": str(record.attempt),
        }
        clock = self._backend.clock
        sent_at = clock.now()
        result = self._sender(record.url, body, headers, self._policy.attempt_timeout)
        delivered = result.status is not None and 200 <= result.status < 300
        with self._lock:
            record.sent_at = sent_at
            record.response_status, record.duration_ms = result.status, result.duration
            record.error = result.error
            if delivered:
                record.outcome = "delivered"
                self._journal.save(record)
                self._forget_if_expired(record.task_id)
                return
            if record.error is None:
                record.error = f"receiver answered HTTP {result.status}"
            stale = record.generation != self._journal.generation
            if stale or record.attempt > self._policy.retries:
                record.outcome = "failed"
                self._journal.save(record)
                self._forget_if_expired(record.task_id)
                return
            record.outcome = "retrying"
            delay = backoff(record.attempt, self._policy) / self._backend.config.time_scale
            # On a manual clock the schedule counts from the attempt's due time, so it does not
            # depend on how long the POST took; on wall time, from the failure.
            base = record.scheduled_at if clock.manual else clock.now()
            retry = self._journal.new(
                record.task_id, record.url, record.attempt + 1, record.payload, base + delay
            )
            # Together: a crash never leaves a `retrying` row without its next attempt.
            self._journal.save(record, retry)
        self._schedule(retry)
