"""The default store: dicts in one process, so every thread of the server sees the same state.

Nothing to persist and nothing to roll back: the records are the state. The hook journal is
kept by the dispatcher itself, so its store methods do nothing here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager

from mock_server.records import Account, HookAttempt, Task

__all__ = ["MemoryStore"]


class MemoryStore:
    """Dicts in one process: every thread of the server sees the same state."""

    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}
        self._tasks: dict[str, Task] = {}
        self._by_job_id: dict[str, Task] = {}

    def get_account(self, key: str) -> Account | None:
        return self._accounts.get(key)

    def save_account(self, account: Account) -> None:
        self._accounts[account.key] = account

    def accounts(self) -> Iterator[Account]:
        return iter(list(self._accounts.values()))

    def get_task(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)

    def get_task_by_job_id(self, job_id: str) -> Task | None:
        return self._by_job_id.get(job_id)

    def add_task(self, task: Task) -> None:
        if task.task_id in self._tasks:
            raise KeyError(f"duplicate task id {task.task_id}")
        self._tasks[task.task_id] = task
        self._by_job_id[task.job_id] = task

    def save_task(self, task: Task) -> None:
        # Tasks are mutated in place; a persistent store writes them here.
        self._tasks[task.task_id] = task

    def tasks(self) -> Iterator[Task]:
        return iter(list(self._tasks.values()))

    def tasks_after(self, after_seq: int, limit: int) -> list[Task]:
        # Insertion order is seq order (a reset restarts both), so the dict's order is the
        # listing's; skipping to the cursor is a scan, but the answer stays `limit` long.
        page: list[Task] = []
        for task in self._tasks.values():
            if task.seq > after_seq:
                page.append(task)
                if len(page) >= limit:
                    break
        return page

    def delete_task(self, task_id: str) -> None:
        task = self._tasks.pop(task_id, None)
        if task is not None and self._by_job_id.get(task.job_id) is task:
            del self._by_job_id[task.job_id]

    def task_count(self) -> int:
        return len(self._tasks)

    def clear(self) -> None:
        self._accounts.clear()
        self._tasks.clear()
        self._by_job_id.clear()

    def transaction(self) -> AbstractContextManager[None]:
        # Nothing to roll back to: the objects are the state. Callers order their steps so a
        # failure (a prompt that cannot be parsed) comes before the first change.
        return contextlib.nullcontext()

    # The hook dispatcher keeps its journal in memory already: nothing to persist.
    def save_hook_attempt(self, attempt: HookAttempt) -> None:
        pass

    def hook_attempts(self) -> list[HookAttempt]:
        return []

    def clear_hook_attempts(self) -> None:
        pass

    def delete_hook_attempts(self, hook_ids: Iterable[str]) -> None:
        pass

    def close(self) -> None:
        pass
