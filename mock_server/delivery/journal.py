"""The hook journal: every attempt, in order, written through to the backend's store.

What `GET /__mock/hooks` lists. Rows are written to the store as they change (a no-op in
memory; rows of the `--state-file`) and read back when the dispatcher is attached. A reset
starts a new *generation*: rows of a journal a reset dropped are never saved again, even when a
delivery that was under way when the reset came finishes afterwards.

Not locked by itself: the dispatcher calls every method with its own lock held, so a journal row
and the in-flight set it belongs to change together.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from mock_server.records import HookAttempt
from mock_server.storage.store import Store

__all__ = ["HookJournal"]

log = logging.getLogger(__name__)


def _hook_number(hook_id: str) -> int:
    number = hook_id.removeprefix("hook-")
    return int(number) if number.isdigit() else 0


class HookJournal:
    def __init__(self, store: Store) -> None:
        self._store = store
        # Every row by its id, in the order they were made (what `rows()` lists), and each
        # task's row ids, so a task's expiry touches its own rows only.
        self._by_id: dict[str, HookAttempt] = {}
        self._by_task: dict[str, list[str]] = {}
        self._ids = itertools.count(1)
        self.generation = 0

    def rows(self) -> list[HookAttempt]:
        return list(self._by_id.values())

    def get(self, hook_id: str) -> HookAttempt | None:
        return self._by_id.get(hook_id)

    def new(
        self, task_id: str, url: str, attempt: int, payload: dict[str, Any], at: float
    ) -> HookAttempt:
        """A new row, numbered and kept (the caller saves it once it is filled in)."""
        record = HookAttempt(
            hook_id=f"hook-{next(self._ids)}",
            task_id=task_id,
            url=url,
            attempt=attempt,
            payload=payload,
            scheduled_at=at,
            generation=self.generation,
        )
        self._keep(record)
        return record

    def save(self, *records: HookAttempt) -> None:
        """Write rows through to the store, together. Rows of a journal a reset dropped are
        not saved (the caller's lock keeps a reset from slipping between check and write)."""
        current = [r for r in records if r.generation == self.generation]
        if not current:
            return

        def write() -> None:
            with self._store.transaction():
                for record in current:
                    self._store.save_hook_attempt(record)

        self._persist(write)

    def forget_task(self, task_id: str) -> int:
        """Drop the task's rows, in memory and in the store, once the task has expired and its
        delivery has ended; returns how many. While an attempt is still pending (scheduled or
        in flight) the rows stay, and the dispatcher asks again when the delivery ends."""
        ids = self._by_task.get(task_id, [])
        if not ids or any(self._by_id[i].outcome == "pending" for i in ids):
            return 0
        del self._by_task[task_id]
        for hook_id in ids:
            del self._by_id[hook_id]
        self._persist(lambda: self._store.delete_hook_attempts(ids))
        return len(ids)

    def reset(self) -> None:
        self._by_id.clear()
        self._by_task.clear()
        self.generation += 1
        # The backend cleared the store already; this also drops a row a worker saved in
        # between, before the generation moved on.
        self._persist(self._store.clear_hook_attempts)

    def load(self, records: list[HookAttempt]) -> None:
        """Take the rows a store held (numbering and generation continue after them)."""
        for record in records:
            self._keep(record)
        numbers = [_hook_number(r.hook_id) for r in records]
        self._ids = itertools.count(max(numbers, default=0) + 1)
        self.generation = max((r.generation for r in records), default=self.generation)

    def _keep(self, record: HookAttempt) -> None:
        self._by_id[record.hook_id] = record
        self._by_task.setdefault(record.task_id, []).append(record.hook_id)

    def _persist(self, action: Callable[[], None]) -> None:
        # A journal that cannot be written must not break delivery, nor the request or the
        # settling that finished the task; the log says what was not kept.
        try:
            action()
        except Exception:
            log.exception("could not write the hook journal to the store")
