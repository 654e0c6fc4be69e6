"""Where accounts and tasks live.

The backend talks to a `Store` so that persistence can change without touching the lifecycle
logic. A store is not locked by itself: the backend serialises every call under its own lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from .models import Account, Task

__all__ = ["MemoryStore", "Store"]


class Store(Protocol):
    def get_account(self, key: str) -> Account | None: ...

    def save_account(self, account: Account) -> None: ...

    def accounts(self) -> Iterable[Account]: ...

    def get_task(self, task_id: str) -> Task | None: ...

    def get_task_by_job_id(self, job_id: str) -> Task | None: ...

    def add_task(self, task: Task) -> None: ...

    def save_task(self, task: Task) -> None: ...

    def tasks(self) -> Iterable[Task]: ...

    def task_count(self) -> int: ...

    def clear(self) -> None: ...


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

    def task_count(self) -> int:
        return len(self._tasks)

    def clear(self) -> None:
        self._accounts.clear()
        self._tasks.clear()
        self._by_job_id.clear()
