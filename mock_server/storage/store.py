"""Where accounts, tasks and the hook journal live.

The backend talks to a `Store` so that persistence can change without touching the lifecycle
logic. The backend serialises its calls under its own lock; hook workers write journal rows from
their own threads, so a store that shares one resource between calls (SqliteStore's connection)
locks it itself. `MemoryStore` keeps dicts; `SqliteStore` (`--state-file`) keeps a file.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

from mock_server.records import Account, HookAttempt, Task
from mock_server.storage.memory import MemoryStore

if TYPE_CHECKING:
    from mock_server.config import Config

__all__ = ["Store", "store_for"]


class Store(Protocol):
    def get_account(self, key: str) -> Account | None: ...

    def save_account(self, account: Account) -> None: ...

    def accounts(self) -> Iterable[Account]: ...

    def get_task(self, task_id: str) -> Task | None: ...

    def get_task_by_job_id(self, job_id: str) -> Task | None: ...

    def add_task(self, task: Task) -> None: ...

    def save_task(self, task: Task) -> None: ...

    def tasks(self) -> Iterable[Task]: ...

    def tasks_after(self, after_seq: int, limit: int) -> Iterable[Task]:
        """Up to `limit` tasks with `seq > after_seq`, in `seq` (submit) order."""
        ...

    def delete_task(self, task_id: str) -> None:
        """Forget a task (retention); an unknown id is no error."""
        ...

    def task_count(self) -> int: ...

    def clear(self) -> None: ...

    def transaction(self) -> AbstractContextManager[None]:
        """Writes inside the block land together or not at all (blocks may nest).

        The block must not take other locks (the backend calls listeners after it)."""
        ...

    def save_hook_attempt(self, attempt: HookAttempt) -> None: ...

    def hook_attempts(self) -> Iterable[HookAttempt]: ...

    def clear_hook_attempts(self) -> None: ...

    def delete_hook_attempts(self, hook_ids: Iterable[str]) -> None:
        """Forget these journal rows (their task expired); an unknown id is no error."""
        ...

    def close(self) -> None: ...


def store_for(config: Config) -> Store:
    """The store a config asks for: its `state_file` (SQLite), or memory."""
    if config.state_file:
        from mock_server.storage.sqlite import SqliteStore

        return SqliteStore(config.state_file)
    return MemoryStore()
