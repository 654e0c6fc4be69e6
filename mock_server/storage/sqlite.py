"""`--state-file PATH`: accounts, tasks and the hook journal in one SQLite file.

Standard library only (`sqlite3`). One connection, opened with `check_same_thread=False` and used
under a lock of the store's own (the backend already serialises its calls under its lock; the
store's lock also covers hook workers writing the journal from their threads). Every write is
committed before the call returns, and `transaction()` groups writes that must land together: a
submit's charge and its task, a failure's refund and its status.

Durability: WAL journal with `synchronous=NORMAL`. A committed transaction is in the WAL file,
written with write(2) before COMMIT returns; NORMAL only skips the fsync, so what it risks is the
last transactions on power loss or an OS crash, never on the death of the process (SIGKILL
included), because the kernel keeps the written pages. The file stays consistent either way. Pass
`synchronous="FULL"` to fsync at every commit and survive power loss too, at a cost per submit.

`locking_mode=EXCLUSIVE` holds the file's lock for as long as the store is open: a second mock
on the same file fails at start with a clear message instead of splitting one ledger across two
processes, and the WAL index lives in heap memory (no `-shm` file). The lock dies with the
process, so a restart after a crash opens the file at once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from os import PathLike, fspath
from typing import Any, Generic, TypeVar, cast

from mock_server.config import ConfigError
from mock_server.records import Account, HookAttempt, Task, TaskStatus

__all__ = ["SCHEMA_VERSION", "SqliteStore"]

SCHEMA_VERSION = 1

R = TypeVar("R")


def _text(value: str) -> str | bytes:
    """A str as SQLite can hold it: a lone surrogate (JSON allows "\\ud800") becomes a BLOB of
    its surrogatepass bytes. The mapping is one-to-one, so equality lookups still match."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")
    return value


def _from_text(value: Any) -> Any:
    return value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else value


def _encode(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, int):  # TaskStatus included
        return int(value)
    return value


_SQL_TYPES = {
    "str": "TEXT",
    "int": "INTEGER",
    "bool": "INTEGER",
    "TaskStatus": "INTEGER",
    "float": "REAL",
}


class _Table(Generic[R]):
    """One dataclass, one table: columns and decoders come from the dataclass fields, so a
    field added to a model cannot be dropped silently (and the schema check refuses old files)."""

    def __init__(self, name: str, cls: type[R], key: str, indexes: tuple[str, ...] = ()) -> None:
        self.name = name
        self.cls: type[R] = cls
        self.key = key
        self.indexes = indexes
        model_fields = fields(cast(Any, cls))
        self.columns = [f.name for f in model_fields]
        self.types: dict[str, str] = {}
        self.decoders: list[Callable[[Any], Any]] = []
        for f in model_fields:
            # "str | None" as written (the models use postponed annotations), or the type itself.
            annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
            annotation = annotation or str(f.type)
            base = annotation.split("|")[0].strip()
            if base.startswith("dict"):
                self.types[f.name] = "TEXT"
                self.decoders.append(json.loads)
                continue
            self.types[f.name] = _SQL_TYPES[base]
            nullable = "None" in annotation
            decode: Callable[[Any], Any]
            if base == "TaskStatus":
                decode = TaskStatus
            elif base == "bool":
                decode = bool
            elif base == "float":
                decode = float
            elif base == "str":
                decode = _from_text
            else:
                decode = int
            self.decoders.append(_nullable(decode) if nullable else decode)
        cols = ", ".join(f'"{c}"' for c in self.columns)
        marks = ", ".join("?" for _ in self.columns)
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in self.columns if c != key)
        self.select = f'SELECT {cols} FROM "{name}"'
        self.insert = f'INSERT INTO "{name}" ({cols}) VALUES ({marks})'
        self.upsert = f'{self.insert} ON CONFLICT("{key}") DO UPDATE SET {updates}'
        sets = ", ".join(f'"{c}" = ?' for c in self.columns if c != key)
        self.update = f'UPDATE "{name}" SET {sets} WHERE "{key}" = ?'

    def create_statements(self) -> list[str]:
        defs = []
        for column in self.columns:
            sql_type = self.types[column]
            primary = " PRIMARY KEY" if column == self.key else ""
            defs.append(f'"{column}" {sql_type}{primary}')
        # A rowid table: rowid order is insertion order, which an upsert keeps.
        statements = [f'CREATE TABLE IF NOT EXISTS "{self.name}" ({", ".join(defs)})']
        for column in self.indexes:
            statements.append(
                f'CREATE INDEX IF NOT EXISTS "{self.name}_{column}" ON "{self.name}" ("{column}")'
            )
        return statements

    def row(self, record: R) -> list[Any]:
        return [_encode(getattr(record, c)) for c in self.columns]

    def update_row(self, record: R) -> list[Any]:
        """Parameters of `update`: every other column, then the key."""
        others = [_encode(getattr(record, c)) for c in self.columns if c != self.key]
        return [*others, _encode(getattr(record, self.key))]

    def record(self, row: tuple[Any, ...]) -> R:
        values = {c: d(v) for c, d, v in zip(self.columns, self.decoders, row, strict=True)}
        return self.cls(**values)


def _nullable(decode: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else decode(value)


ACCOUNTS = _Table("accounts", Account, "key")
TASKS = _Table("tasks", Task, "task_id", indexes=("job_id", "seq"))
HOOK_ATTEMPTS = _Table("hook_attempts", HookAttempt, "hook_id")
TABLES: tuple[_Table[Any], ...] = (ACCOUNTS, TASKS, HOOK_ATTEMPTS)


class SqliteStore:
    """The `Store` protocol over one SQLite file (or ":memory:")."""

    def __init__(self, path: str | PathLike[str], *, synchronous: str = "NORMAL") -> None:
        if synchronous.upper() not in ("NORMAL", "FULL", "EXTRA"):
            raise ConfigError("synchronous must be NORMAL, FULL or EXTRA")
        self.path = fspath(path)
        self._lock = threading.RLock()
        self._depth = 0
        self._count: int | None = None
        try:
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=0
            )
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot open state file {self.path}: {exc}") from exc
        try:
            self._open(synchronous.upper())
        except sqlite3.OperationalError as exc:
            self._conn.close()
            if "locked" in str(exc):
                raise ConfigError(
                    f"state file {self.path} is in use by another mock, in this process or "
                    "another: one mock per state file (close the other one's store first)"
                ) from exc
            raise ConfigError(f"cannot use state file {self.path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise ConfigError(f"state file {self.path} is not usable: {exc}") from exc
        except ConfigError:
            self._conn.close()
            raise

    def _open(self, synchronous: str) -> None:
        conn = self._conn
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        # Checkpoint every ~16 MB of WAL instead of 4 MB: a hot page (an account, the tasks
        # table's last leaf) is copied back once per checkpoint, not once per 1000 pages; about
        # 20% more submits/s. The WAL file is trimmed back to 32 MB after a checkpoint.
        conn.execute("PRAGMA wal_autocheckpoint=4000")
        conn.execute("PRAGMA journal_size_limit=33554432")
        # Taking the write lock now makes a second process fail here, not at its first submit.
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise ConfigError(
                    f"state file {self.path} has schema version {version}; this mock writes "
                    f"version {SCHEMA_VERSION}: delete the file or pick another path"
                )
            for table in TABLES:
                for statement in table.create_statements():
                    conn.execute(statement)
                found = [r[1] for r in conn.execute(f'PRAGMA table_info("{table.name}")')]
                if found != table.columns:
                    raise ConfigError(
                        f"state file {self.path} was written by another version of the mock "
                        f"(table {table.name} has columns {found}): delete it or pick another path"
                    )
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # -- transactions -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all; nested blocks are savepoints."""
        with self._lock:
            conn = self._conn
            depth = self._depth
            savepoint = f"sp{depth}"
            conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                self._count = None
                if depth == 0:
                    conn.execute("ROLLBACK")
                else:
                    conn.execute(f"ROLLBACK TO {savepoint}")
                    conn.execute(f"RELEASE {savepoint}")
                raise
            self._depth -= 1
            if depth > 0:
                conn.execute(f"RELEASE {savepoint}")
                return
            try:
                conn.execute("COMMIT")
            except BaseException:
                self._count = None
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _write(self, sql: str, params: list[Any]) -> None:
        with self._lock:
            self._conn.execute(sql, params)

    def _one(self, table: _Table[R], column: str, value: Any, order: str = "") -> R | None:
        sql = f'{table.select} WHERE "{column}" = ?{order} LIMIT 1'
        with self._lock:
            row = self._conn.execute(sql, (_encode(value),)).fetchone()
        return None if row is None else table.record(row)

    def _all(self, table: _Table[R]) -> list[R]:
        with self._lock:
            rows = self._conn.execute(f"{table.select} ORDER BY rowid").fetchall()
        return [table.record(row) for row in rows]

    # -- accounts ---------------------------------------------------------------------------

    def get_account(self, key: str) -> Account | None:
        return self._one(ACCOUNTS, "key", key)

    def save_account(self, account: Account) -> None:
        self._write(ACCOUNTS.upsert, ACCOUNTS.row(account))

    def accounts(self) -> Iterator[Account]:
        return iter(self._all(ACCOUNTS))

    # -- tasks ------------------------------------------------------------------------------

    def get_task(self, task_id: str) -> Task | None:
        return self._one(TASKS, "task_id", task_id)

    def get_task_by_job_id(self, job_id: str) -> Task | None:
        # As MemoryStore: the latest task with that job id.
        return self._one(TASKS, "job_id", job_id, " ORDER BY rowid DESC")

    def add_task(self, task: Task) -> None:
        with self._lock:
            try:
                self._conn.execute(TASKS.insert, TASKS.row(task))
            except sqlite3.IntegrityError as exc:
                raise KeyError(f"duplicate task id {task.task_id}") from exc
            if self._count is not None:
                self._count += 1

    def save_task(self, task: Task) -> None:
        with self._lock:
            if self._conn.execute(TASKS.update, TASKS.update_row(task)).rowcount == 0:
                self.add_task(task)  # as MemoryStore: saving an unknown task adds it

    def tasks(self) -> Iterator[Task]:
        return iter(self._all(TASKS))

    def tasks_after(self, after_seq: int, limit: int) -> list[Task]:
        sql = f'{TASKS.select} WHERE "seq" > ? ORDER BY "seq" LIMIT ?'
        with self._lock:
            rows = self._conn.execute(sql, (after_seq, limit)).fetchall()
        return [TASKS.record(row) for row in rows]

    def delete_task(self, task_id: str) -> None:
        with self._lock:
            deleted = self._conn.execute(
                'DELETE FROM "tasks" WHERE "task_id" = ?', (_encode(task_id),)
            ).rowcount
            if deleted and self._count is not None:
                self._count -= 1

    def task_count(self) -> int:
        with self._lock:
            if self._count is None:
                self._count = int(self._conn.execute("SELECT count(*) FROM tasks").fetchone()[0])
            return self._count

    # -- the hook journal -------------------------------------------------------------------

    def save_hook_attempt(self, attempt: HookAttempt) -> None:
        self._write(HOOK_ATTEMPTS.upsert, HOOK_ATTEMPTS.row(attempt))

    def hook_attempts(self) -> list[HookAttempt]:
        return self._all(HOOK_ATTEMPTS)

    def clear_hook_attempts(self) -> None:
        self._write("DELETE FROM hook_attempts", [])

    def delete_hook_attempts(self, hook_ids: Iterable[str]) -> None:
        rows = [(_encode(hook_id),) for hook_id in hook_ids]
        with self._lock:
            self._conn.executemany('DELETE FROM "hook_attempts" WHERE "hook_id" = ?', rows)

    # -- the whole file ---------------------------------------------------------------------

    def clear(self) -> None:
        with self.transaction():
            for table in TABLES:
                self._conn.execute(f'DELETE FROM "{table.name}"')
            self._count = 0

    def close(self) -> None:
        """Checkpoint the WAL into the file and release it (closing twice is fine)."""
        with self._lock:
            self._conn.close()
