"""`--state-file`: SQLite persistence of keys, balances, tasks and the hook journal.

Unit tests of `SqliteStore`, restarts of the backend on one file (manual clocks, no sleeping),
and the crash test: `mj-mock serve` as a process, SIGKILLed mid-load, restarted on its file.
"""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

import schemas
from mock_server import Config, ManualClock, MidjourneyBackend, MockServer, SubmitRequest
from mock_server.cli import main
from mock_server.config import ConfigError
from mock_server.delivery.dispatcher import HookDispatcher
from mock_server.delivery.sender import DeliveryResult
from mock_server.domain.lifecycle import TASK_ID_ALPHABET, TASK_ID_LENGTH
from mock_server.records import Account, HookAttempt, Task, TaskStatus
from mock_server.storage.memory import MemoryStore
from mock_server.storage.sqlite import SqliteStore
from mock_server.storage.store import Store, store_for
from mock_server.web.wire import hook_attempt_view

from .support import SERVE

T0 = 1_766_900_000.0
KEY = "persist-key"
SUBMIT = "/midjourney/v1/submit-jobs"
STATUS = "/midjourney/v1/job-status"


def _task(task_id: str = "t" * 21, **changes: Any) -> Task:
    task = Task(
        task_id=task_id,
        api_key=KEY,
        seq=7,
        prompt="a fox --ar 16:9",
        mode="fast",
        hook_url=None,
        timeout=600,
        cost=2,
        created_at=T0 + 0.1234567890123,
        due_at=T0 + 1 / 3,
        planned_status=TaskStatus.COMPLETED,
        planned_reason=None,
        job_id=f"job-{task_id}",
        mj_prompt="a fox --ar 16:9 --v 7",
        width=1456,
        height=816,
    )
    return replace(task, **changes)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "state.db")
    yield opened
    opened.close()


# -- SqliteStore ------------------------------------------------------------------------------


def test_it_implements_every_method_of_the_store_protocol(store: SqliteStore) -> None:
    typed: Store = store  # mypy checks the signatures; this checks nothing is missing at runtime
    for name in [n for n in vars(Store) if not n.startswith("_")]:
        assert callable(getattr(typed, name)), name
        assert callable(getattr(MemoryStore(), name)), name


def test_tasks_round_trip_every_field(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    plain = _task("a" * 21)
    finished = _task(
        "b" * 21,
        seq=8,
        mode="relaxed",
        hook_url="https://app.test/hook?x=1",
        timeout=1200,
        cost=1,
        planned_status=TaskStatus.FAILED,
        planned_reason="Invalid User ID or Personalize Code: ``1``",
        status=TaskStatus.FAILED,
        finished_at=T0 + 2.000000000001,
        fail_reason="Task failed (forced)",
        refunded=True,
    )
    odd = _task(
        "c" * 21,
        seq=9,
        prompt="emoji 🦊, NUL \x00 and a lone surrogate \ud800",
        hook_url="",
        cost=0,
        created_at=0.0,
        due_at=1e-9,
        status=TaskStatus.COMPLETED,
        finished_at=0.5,
    )
    store = SqliteStore(path)
    for task in (plain, finished, odd):
        store.add_task(task)
    store.close()
    reopened = SqliteStore(path)
    try:
        assert list(reopened.tasks()) == [plain, finished, odd]
        got = reopened.get_task(finished.task_id)
        assert got is not None
        assert type(got.status) is TaskStatus and type(got.planned_status) is TaskStatus
        assert got.refunded is True and got.finished_at == T0 + 2.000000000001
        assert reopened.get_task(odd.task_id) == odd
        assert reopened.get_task_by_job_id(plain.job_id) == plain
        assert reopened.get_task("missing") is None and reopened.get_task_by_job_id("x") is None
        assert reopened.task_count() == 3
    finally:
        reopened.close()


def test_accounts_round_trip_and_keep_their_order(store: SqliteStore) -> None:
    store.save_account(Account(key="b", balance=10))
    store.save_account(Account(key="a\ud800", balance=0, charged=5, refunded=3))
    store.save_account(Account(key="b", balance=1_000_000_000_000, charged=1, refunded=0))
    assert list(store.accounts()) == [
        Account(key="b", balance=1_000_000_000_000, charged=1, refunded=0),
        Account(key="a\ud800", balance=0, charged=5, refunded=3),
    ]
    assert store.get_account("a\ud800") == Account("a\ud800", 0, 5, 3)
    assert store.get_account("c") is None


def test_hook_attempts_round_trip(store: SqliteStore) -> None:
    pending = HookAttempt(
        hook_id="hook-1",
        task_id="t" * 21,
        url="https://app.test/hook",
        attempt=1,
        payload={"taskId": "t" * 21, "status": 1, "images": ["a", "b"], "meta": {"w": 1.5}},
        scheduled_at=T0 + 0.25,
        generation=3,
    )
    sent = replace(
        pending,
        hook_id="hook-2",
        attempt=2,
        sent_at=T0 + 1.125,
        response_status=503,
        error="receiver answered HTTP 503",
        duration_ms=0.123,
        outcome="retrying",
    )
    store.save_hook_attempt(pending)
    store.save_hook_attempt(sent)
    assert store.hook_attempts() == [pending, sent]
    store.save_hook_attempt(replace(pending, outcome="delivered", response_status=200))
    assert [(a.hook_id, a.outcome) for a in store.hook_attempts()] == [
        ("hook-1", "delivered"),
        ("hook-2", "retrying"),
    ]
    store.clear_hook_attempts()
    assert store.hook_attempts() == []


def test_task_writes_duplicates_and_counts(store: SqliteStore) -> None:
    task = _task()
    store.add_task(task)
    with pytest.raises(KeyError):
        store.add_task(task)
    task.status, task.finished_at = TaskStatus.COMPLETED, T0 + 40
    store.save_task(task)
    assert store.get_task(task.task_id) == task
    store.save_task(_task("u" * 21))  # as MemoryStore: saving an unknown task adds it
    assert store.task_count() == 2 == len(list(store.tasks()))
    store.save_account(Account(key=KEY, balance=1))
    store.save_hook_attempt(HookAttempt("hook-1", task.task_id, "u", 1, {}, T0, 0))
    store.clear()
    assert store.task_count() == 0
    assert list(store.tasks()) == [] and list(store.accounts()) == []
    assert store.hook_attempts() == []


def test_a_transaction_lands_whole_or_not_at_all(store: SqliteStore) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.save_account(Account(key=KEY, balance=8, charged=2))
        store.add_task(_task())
        raise RuntimeError("crash between the charge and the task")
    assert store.get_account(KEY) is None and store.task_count() == 0
    with store.transaction():
        store.save_account(Account(key=KEY, balance=8, charged=2))
        with pytest.raises(KeyError), store.transaction():  # a nested block is a savepoint
            store.add_task(_task())
            store.add_task(_task())
        store.add_task(_task("v" * 21))
    assert store.get_account(KEY) == Account(KEY, 8, 2) and store.task_count() == 1


def test_lookups_use_the_indexes(store: SqliteStore) -> None:
    """job-status cost must not grow with the table: both lookups are index searches."""
    conn = store._conn
    for sql in (
        "SELECT * FROM tasks WHERE task_id = ? LIMIT 1",
        "SELECT * FROM tasks WHERE job_id = ? ORDER BY rowid DESC LIMIT 1",
    ):
        plan = " ".join(str(row[-1]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql, ("x",)))
        assert "USING INDEX" in plan and "SCAN" not in plan, plan


def test_the_file_is_wal_and_its_lock_keeps_a_second_mock_out(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = SqliteStore(path)
    try:
        assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        with pytest.raises(ConfigError, match="in use by another mock"):
            SqliteStore(path)
        runner = CliRunner()
        result = runner.invoke(main, ["serve", "--port", "0", "--state-file", str(path)])
        assert result.exit_code == 2 and "in use by another mock" in result.output
        result = runner.invoke(
            main, ["serve", "--port", "0"], env={"MJ_MOCK_STATE_FILE": str(path)}
        )
        assert result.exit_code == 2 and "in use by another mock" in result.output
    finally:
        store.close()
    SqliteStore(path).close()  # the lock goes with the store


def test_files_it_cannot_use_are_refused_clearly(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, just text" * 100)
    with pytest.raises(ConfigError, match="not usable"):
        SqliteStore(junk)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE tasks (task_id TEXT PRIMARY KEY, something TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(ConfigError, match="another version"):
        SqliteStore(other)
    with pytest.raises(ConfigError, match="cannot"):
        SqliteStore(tmp_path / "no" / "such" / "dir.db")


def test_store_for_picks_the_state_file() -> None:
    assert isinstance(store_for(Config()), MemoryStore)
    memory = store_for(Config(state_file=":memory:"))
    assert isinstance(memory, SqliteStore)
    memory.close()


# -- restarts of the backend ------------------------------------------------------------------


def _config(path: Path, clock: ManualClock, keys: dict[str, int] | None = None) -> Config:
    return Config(
        api_keys=keys if keys is not None else {KEY: 100},
        clock=clock,
        seed=3,
        state_file=str(path),
    )


def _ledger_adds_up(backend: MidjourneyBackend, quotas: dict[str, int]) -> None:
    tasks = backend.tasks()
    for key, quota in quotas.items():
        mine = [t for t in tasks if t.api_key == key]
        charged = sum(t.cost for t in mine)
        refunded = sum(t.cost for t in mine if t.refunded)
        account = backend.account(key)
        assert (account.charged, account.refunded) == (charged, refunded), key
        assert account.balance == quota - charged + refunded, key


def test_restart_keeps_keys_balances_and_tasks(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = MidjourneyBackend(_config(path, ManualClock(T0)))
    assert isinstance(first.store, SqliteStore), "config.state_file picks SQLite"
    fast = first.submit(KEY, SubmitRequest("a cat --ar 9:16", hook_url="https://app.test/h"))
    relaxed = first.submit(KEY, SubmitRequest("a dog", mode="relaxed", timeout=1200))
    failing = first.submit(KEY, SubmitRequest("a cat --p 123123"))
    first.add_key("added-later", 7)
    first.advance(10)  # the failure shows (and is refunded); the other two run on
    # A store hands out snapshots: read the task again to see it finished.
    failing = first.get_task(failing.task_id)
    assert failing.status == TaskStatus.FAILED
    before = first.tasks()
    accounts_before = first.accounts()
    first.close()

    # Configured quotas changed: the stored ledger wins; a key new to the file is added.
    clock = ManualClock(T0)  # behind the stored history: the restart moves it up
    second = MidjourneyBackend(_config(path, clock, {KEY: 999, "new-key": 5}))
    try:
        assert second.restored
        assert second.tasks() == before
        assert second.accounts() == [*accounts_before, Account("new-key", 5)]
        assert second.account(KEY).balance == 100 - 2 - 1 and second.account(KEY).refunded == 2
        assert clock.now() >= failing.finished_at  # type: ignore[operator]
        assert second.in_progress_count(KEY) == 2
        second.advance(300)  # the tasks in progress at shutdown finish after the restart
        done = {t.task_id: t for t in second.job_status(KEY, [fast.task_id, relaxed.task_id])}
        assert {t.status for t in done.values()} == {TaskStatus.COMPLETED}
        assert second.in_progress_count(KEY) == 0
        _ledger_adds_up(second, {KEY: 100, "added-later": 7, "new-key": 5})
        # Ids and sequence numbers continue; none is reissued.
        fresh = second.submit(KEY, SubmitRequest("another"))
        assert fresh.task_id not in {t.task_id for t in before}
        assert fresh.seq == max(t.seq for t in before) + 1
    finally:
        second.close()


def test_tasks_due_while_the_mock_was_down_settle_on_the_first_request(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = MidjourneyBackend(_config(path, ManualClock(T0)))
    ids = [first.submit(KEY, SubmitRequest(p)).task_id for p in ("a cat", "a cat --p 9")]
    first.close()
    second = MidjourneyBackend(_config(path, ManualClock(T0 + 3600)))
    try:
        statuses = [t.status for t in second.job_status(KEY, ids)]
        assert statuses == [TaskStatus.COMPLETED, TaskStatus.FAILED]
        assert second.account(KEY).balance == 100 - 2
    finally:
        second.close()


def test_a_restart_never_reissues_a_stored_task_id(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = MidjourneyBackend(_config(path, ManualClock(T0)))
    old = first.submit(KEY, SubmitRequest("a cat"))
    first.close()
    second = MidjourneyBackend(_config(path, ManualClock(T0)))
    try:
        # Plant a stored task on exactly the id the reseeded generator will draw next.
        state = second._rng.getstate()
        probe = random.Random()
        probe.setstate(state)
        next_id = "".join(probe.choices(TASK_ID_ALPHABET, k=TASK_ID_LENGTH))
        second.store.add_task(replace(old, task_id=next_id, job_id="planted", seq=old.seq))
        second._rng.setstate(state)
        fresh = second.submit(KEY, SubmitRequest("a dog"))
        assert fresh.task_id not in (next_id, old.task_id)
    finally:
        second.close()


def test_the_same_file_restarts_the_same_way(tmp_path: Path) -> None:
    """Seeded runs stay reproducible across a restart."""
    ids = []
    for name in ("a.db", "b.db"):
        path = tmp_path / name
        first = MidjourneyBackend(_config(path, ManualClock(T0)))
        first.submit(KEY, SubmitRequest("a cat"))
        first.close()
        second = MidjourneyBackend(_config(path, ManualClock(T0)))
        ids.append(second.submit(KEY, SubmitRequest("a cat")).task_id)
        second.close()
    assert ids[0] == ids[1]


class _Sender:
    def __init__(self, status: int) -> None:
        self.status = status
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def __call__(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> DeliveryResult:
        self.sent.append((headers["X-Mj-Mock-Hook-Id"], json.loads(body)))
        return DeliveryResult(self.status, None, 1.0)


def test_the_hook_journal_survives_and_pending_attempts_are_sent_after_restart(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    first = MidjourneyBackend(_config(path, ManualClock(T0)))
    failing_receiver = _Sender(503)
    first_hooks = HookDispatcher(first, sender=failing_receiver, synchronous=True)
    retried = first.submit(KEY, SubmitRequest("a cat", hook_url="https://app.test/a"))
    refused = first.submit(KEY, SubmitRequest("a dog", hook_url="<string>"))
    unrecorded = first.submit(KEY, SubmitRequest("a fox", hook_url="https://app.test/c"))
    first.complete(retried.task_id)
    first.advance(0)  # attempt 1 fails; attempt 2 is planned a second later
    first.complete(refused.task_id)
    journal = [hook_attempt_view(a) for a in first_hooks.attempts()]
    assert [(h["id"], h["outcome"]) for h in journal] == [
        ("hook-1", "retrying"),
        ("hook-2", "pending"),
        ("hook-3", "refused"),
    ]
    first.close()

    # A crash between a task's finish and its first attempt's row: the task finishes in a
    # backend with no dispatcher, so nothing is journaled for it.
    between = MidjourneyBackend(_config(path, ManualClock(T0)))
    between.complete(unrecorded.task_id)
    between.close()

    second = MidjourneyBackend(_config(path, ManualClock(T0)))
    receiver = _Sender(200)
    second_hooks = HookDispatcher(second, sender=receiver, synchronous=True)
    try:
        restored = [hook_attempt_view(a) for a in second_hooks.attempts()]
        assert restored[:3] == journal
        assert restored[3]["taskId"] == unrecorded.task_id and restored[3]["id"] == "hook-4"
        second.advance(5)
        # In clock order: hook-4 is due now, hook-2 one second after the first run's failure.
        assert [hook_id for hook_id, _ in receiver.sent] == ["hook-4", "hook-2"]
        sent_ids = [p["data"]["taskId"] for _, p in receiver.sent]
        assert sent_ids == [unrecorded.task_id, retried.task_id]
        outcomes = [(a.hook_id, a.attempt, a.outcome) for a in second_hooks.attempts()]
        assert outcomes == [
            ("hook-1", 1, "retrying"),
            ("hook-2", 2, "delivered"),
            ("hook-3", 1, "refused"),
            ("hook-4", 1, "delivered"),
        ]
        schemas.validate(
            "hook_attempts", {"hooks": [hook_attempt_view(a) for a in second_hooks.attempts()]}
        )
        assert [a.outcome for a in second.store.hook_attempts()] == [o for *_, o in outcomes]
        second.reset()
        assert second_hooks.attempts() == [] and list(second.store.hook_attempts()) == []
    finally:
        second.close()


# -- the server on a state file ---------------------------------------------------------------


def test_server_restart_and_reset_clears_the_file(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    config = Config(api_keys={KEY: 50}, clock=ManualClock(T0), state_file=str(path))
    headers = {"API-KEY": KEY}
    with MockServer(config, port=0) as server:
        body = {"prompt": "a cat", "hookUrl": "<string>"}
        task_id = requests.post(server.url + SUBMIT, json=body, headers=headers, timeout=10).json()[
            "data"
        ]["taskId"]
        requests.post(server.url + "/__mock/clock/advance", json={"seconds": 60}, timeout=10)
    with MockServer(replace(config, clock=ManualClock(T0)), port=0) as server:
        items = requests.post(
            server.url + STATUS, json={"taskIds": [task_id]}, headers=headers, timeout=10
        ).json()["data"]
        assert [(i["taskId"], i["status"]) for i in items] == [(task_id, 1)]
        hooks = requests.get(server.url + "/__mock/hooks", timeout=10).json()["hooks"]
        assert [(h["taskId"], h["outcome"]) for h in hooks] == [(task_id, "refused")]
        requests.post(server.url + "/__mock/keys", json={"key": "extra", "quota": 3}, timeout=10)
        assert requests.post(server.url + "/__mock/reset", timeout=10).json() == {"reset": True}
    store = SqliteStore(path)
    try:
        assert list(store.accounts()) == [Account(KEY, 50)]
        assert store.task_count() == 0 and store.hook_attempts() == []
    finally:
        store.close()


# -- the crash test ---------------------------------------------------------------------------


class _Server:
    """`mj-mock serve` as a child process on a free port."""

    def __init__(self, tmp_path: Path, name: str, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MJ_MOCK_")}
        env["PYTHONUNBUFFERED"] = "1"
        command = list(SERVE)
        command += ["--port", "0", *args]
        with open(tmp_path / f"{name}.stderr", "wb") as errors:
            self.process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env
            )
        assert self.process.stdout is not None
        banner = self.process.stdout.readline()
        found = re.search(r"serving (http://\S+)", banner)
        if found is None:
            self.process.kill()
            message = (tmp_path / f"{name}.stderr").read_text()
            raise AssertionError(f"the server did not start: {banner!r} {message}")
        self.url = found.group(1)
        self.session = requests.Session()
        self.session.trust_env = False

    def get(self, path: str) -> Any:
        response = self.session.get(self.url + path, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: Any, key: str | None = None) -> Any:
        headers = {"API-KEY": key} if key else {}
        response = self.session.post(self.url + path, json=body, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()  # SIGKILL on POSIX: no handler, no flush, no checkpoint
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def test_sigkill_mid_load_loses_no_answered_task_and_the_ledger_adds_up(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    quotas = {"crash-a": 120, "crash-b": 80}
    (tmp_path / "mock.toml").write_text("max_in_progress = 100000\n")
    common = ["--state-file", str(state), "--config", str(tmp_path / "mock.toml"), "--seed", "11"]
    keys = [arg for key, quota in quotas.items() for arg in ("--api-key", f"{key}:{quota}")]
    # A real clock where a failing job takes 20-50 ms, a fast one 0.3-0.5 s and a relaxed one
    # 0.6-2.4 s: refunds keep some submits going once the quota has run out, and tasks are in
    # progress when the kill lands.
    server = _Server(tmp_path, "first", *common, *keys, "--clock", "real", "--time-scale", "100")

    answered: dict[str, str] = {}  # taskId -> key, for every submit whose answer arrived
    counts = {"ok": 0, "quota": 0, "other": 0}
    lock = threading.Lock()
    stop = threading.Event()
    prompts = [
        {"prompt": "a cat --ar 9:16"},
        {"prompt": "a dog", "mode": "relaxed", "hookUrl": "<string>"},
        {"prompt": "a cat --p 123123"},  # fails 2-5 s (model time) later and is refunded
    ]

    def hammer(index: int) -> None:
        session = requests.Session()
        session.trust_env = False
        key = list(quotas)[index % 2]
        n = index
        while not stop.is_set():
            n += 1
            try:
                response = session.post(
                    server.url + SUBMIT,
                    json=prompts[n % 3],
                    headers={"API-KEY": key},
                    timeout=5,
                )
                body = response.json()
            except (requests.RequestException, ValueError):
                return  # the server is gone
            with lock:
                if body.get("status") == 0:
                    answered[body["data"]["taskId"]] = key
                    counts["ok"] += 1
                elif body.get("status") == 1001:
                    counts["quota"] += 1
                else:
                    counts["other"] += 1

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(8)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            with lock:
                if counts["ok"] >= 150 and counts["quota"] >= 20:
                    break
            stop.wait(0.01)
        killed_at = time.time()
        server.kill()  # mid-load: the threads are still submitting
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        server.kill()
    assert counts["ok"] >= 150 and counts["quota"] >= 20, counts
    assert counts["other"] == 0, counts

    # Same file, a manual clock: whatever fell due while it was down settles on the first
    # request; an advance settles the rest.
    restarted = _Server(tmp_path, "second", *common, *keys, "--clock", "manual")
    try:
        stored = {t["taskId"]: t for t in restarted.get("/__mock/tasks")["tasks"]}
        missing = set(answered) - set(stored)
        assert not missing, f"{len(missing)} answered tasks lost, e.g. {sorted(missing)[:3]}"
        assert all(stored[task_id]["apiKey"] == key for task_id, key in answered.items())
        restarted.post("/__mock/clock/advance", {"seconds": 3600})
        stored = {t["taskId"]: t for t in restarted.get("/__mock/tasks")["tasks"]}
        assert all(t["status"] in (1, 2) for t in stored.values())
        assert all(t["refunded"] == (t["status"] == 2) for t in stored.values())
        finished_later = [t for t in stored.values() if t["finishedAt"] > killed_at * 1000]
        assert finished_later, "some tasks were in progress at the kill and finished after it"

        # Each key finds its own answered tasks through job-status, finished.
        for key in quotas:
            mine = [task_id for task_id, owner in answered.items() if owner == key]
            found: list[dict[str, Any]] = []
            for start in range(0, len(mine), 100):
                body = restarted.post(STATUS, {"taskIds": mine[start : start + 100]}, key)
                schemas.validate("job_status_response", body)
                found += body["data"]
            assert [item["taskId"] for item in found] == mine

        # The ledger: quota - charged + refunded == balance, from the stored tasks alone.
        accounts = {k["key"]: k for k in restarted.get("/__mock/keys")["keys"]}
        for key, quota in quotas.items():
            owned = [t for t in stored.values() if t["apiKey"] == key]
            charged = sum(t["cost"] for t in owned)
            refunded = sum(t["cost"] for t in owned if t["refunded"])
            account = accounts[key]
            assert (account["charged"], account["refunded"]) == (charged, refunded), key
            assert account["quota"] == quota - charged + refunded >= 0, key
            assert account["inProgress"] == 0

        # Every finished task with a hookUrl has its journal row, crash or not.
        hooks = restarted.get("/__mock/hooks")["hooks"]
        with_hook = {t["taskId"] for t in stored.values() if t["hookUrl"]}
        assert with_hook and {h["taskId"] for h in hooks} == with_hook

        # New work gets new ids.
        new = restarted.post(SUBMIT, {"prompt": "after the crash"}, "crash-a")
        assert new["status"] == 0 and new["data"]["taskId"] not in stored
    finally:
        restarted.kill()
