"""Issue 13, bounded growth: tasks expire, listings page, a key is one lookup, and idle
sockets cannot lock other clients out."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

import schemas
from mock_server import (
    Config,
    HookPolicy,
    ManualClock,
    MidjourneyBackend,
    MockServer,
    SubmitRequest,
    create_app,
)
from mock_server.records import Account
from mock_server.storage.sqlite import SqliteStore
from mock_server.testing import controller as control_module
from mock_server.testing.receiver import HookReceiverServer

from .support import KEY, STATUS, SUBMIT, assert_error


def _client(**settings: Any) -> FlaskClient:
    config = Config(api_keys={KEY: 10**6}, clock=ManualClock(), max_in_progress=100, **settings)
    return create_app(config).test_client()


def _submit(client: FlaskClient) -> str:
    body = client.post(SUBMIT, json={"prompt": "a cat"}, headers={"API-KEY": KEY}).get_json()
    task_id: str = body["data"]["taskId"]
    return task_id


def _status(client: FlaskClient, task_id: str) -> list[dict[str, Any]]:
    body = client.post(STATUS, json={"taskIds": [task_id]}, headers={"API-KEY": KEY}).get_json()
    schemas.validate("job_status_response", body)
    items: list[dict[str, Any]] = body["data"]
    return items


# -- retention -----------------------------------------------------------------------------------


@pytest.mark.parametrize("state_file", [False, True], ids=["memory", "sqlite"])
def test_a_finished_task_expires_after_the_retention_time(tmp_path: Path, state_file: bool) -> None:
    path = str(tmp_path / "state.db") if state_file else None
    client = _client(task_retention_seconds=3600, state_file=path)
    task_id = _submit(client)
    client.post("/__mock/clock/advance", json={"seconds": 60})
    assert _status(client, task_id)[0]["status"] == 1
    client.post("/__mock/clock/advance", json={"seconds": 3500})  # finished < 3600 s ago
    assert len(_status(client, task_id)) == 1
    client.post("/__mock/clock/advance", json={"seconds": 120})
    assert _status(client, task_id) == []  # as for an unknown id
    assert_error(client.get(f"/__mock/tasks/{task_id}"), 404, 404, task_id)
    assert client.get("/__mock/tasks").get_json()["tasks"] == []
    assert client.get("/__mock/health").get_json()["tasks"] == 0


def test_retention_counts_model_time_and_none_keeps_tasks() -> None:
    scaled = MidjourneyBackend(
        Config(
            api_keys={KEY: 100}, clock=ManualClock(), time_scale=10.0, task_retention_seconds=600
        )
    )
    task = scaled.submit(KEY, SubmitRequest("a cat"))
    scaled.advance(6)  # 60 model seconds: finished
    finished_at = scaled.get_task(task.task_id).finished_at
    assert finished_at is not None
    clock = scaled.clock
    assert isinstance(clock, ManualClock)
    scaled.advance(finished_at + 59 - clock.now())  # 590 model seconds after: still kept
    assert scaled.get_task(task.task_id).finished
    scaled.advance(2)
    assert scaled.task_count() == 0
    forever = MidjourneyBackend(
        Config(api_keys={KEY: 100}, clock=ManualClock(), task_retention_seconds=None)
    )
    kept = forever.submit(KEY, SubmitRequest("a cat"))
    forever.advance(10 * 365 * 24 * 3600)
    assert forever.get_task(kept.task_id).finished


def test_an_unfinished_task_never_expires() -> None:
    backend = MidjourneyBackend(
        Config(api_keys={KEY: 100}, clock=ManualClock(), task_retention_seconds=0)
    )
    task = backend.submit(KEY, SubmitRequest("a cat", timeout=600))
    backend.advance(1)
    assert backend.get_task(task.task_id).status == 0


def _hooked_app(tmp_path: Path, state_file: bool, **hooks: Any) -> tuple[FlaskClient, Any]:
    """A bare app (inline hook delivery, manual clock) whose tasks expire when they finish."""
    config = Config(
        api_keys={KEY: 10**6},
        clock=ManualClock(),
        task_retention_seconds=0,
        state_file=str(tmp_path / "state.db") if state_file else None,
        hooks=HookPolicy(**hooks),
    )
    backend = MidjourneyBackend(config)
    return create_app(config, backend).test_client(), backend


def _hooked_submit(client: FlaskClient, hook_url: str) -> str:
    body = {"prompt": "a cat", "hookUrl": hook_url}
    answer = client.post(SUBMIT, json=body, headers={"API-KEY": KEY}).get_json()
    task_id: str = answer["data"]["taskId"]
    return task_id


@pytest.mark.parametrize("state_file", [False, True], ids=["memory", "sqlite"])
def test_a_task_s_hook_attempts_expire_with_it(tmp_path: Path, state_file: bool) -> None:
    client, backend = _hooked_app(tmp_path, state_file)
    with HookReceiverServer() as receiver:
        delivered = _hooked_submit(client, receiver.url)
        refused = _hooked_submit(client, "ftp://not-http/hook")
        client.post("/__mock/clock/advance", json={"seconds": 120})
        assert len(receiver.received) == 1
    assert backend.task_count() == 0  # both finished, and a retention of 0 let them go
    assert client.get("/__mock/hooks").get_json()["hooks"] == []
    assert [a.task_id for a in backend.store.hook_attempts()] == []  # the state file's rows too
    assert client.get(f"/__mock/tasks/{delivered}").status_code == 404
    assert client.get(f"/__mock/tasks/{refused}").status_code == 404


def test_a_delivery_under_way_keeps_its_rows_until_it_ends(tmp_path: Path) -> None:
    client, _ = _hooked_app(tmp_path, False, retries=1, backoff_seconds=(1000.0,))
    with HookReceiverServer() as receiver:
        receiver.fail_next(1)
        task_id = _hooked_submit(client, receiver.url)
        client.post("/__mock/clock/advance", json={"seconds": 120})
        rows = client.get("/__mock/hooks").get_json()["hooks"]
        # The task has expired, but its retry is still due: the journal keeps the delivery.
        assert [(r["taskId"], r["outcome"]) for r in rows] == [
            (task_id, "retrying"),
            (task_id, "pending"),
        ]
        client.post("/__mock/clock/advance", json={"seconds": 1000})
        assert len(receiver.received) == 2
    assert client.get("/__mock/hooks").get_json()["hooks"] == []


def test_the_default_retention_is_a_day_of_model_time() -> None:
    assert Config().task_retention_seconds == 24 * 3600


# -- pagination ----------------------------------------------------------------------------------


def test_tasks_page_with_a_cursor_in_submit_order() -> None:
    client = _client()
    ids = [_submit(client) for _ in range(7)]
    seen: list[str] = []
    pages = 0
    url = "/__mock/tasks?limit=3"
    while True:
        body = client.get(url).get_json()
        schemas.validate("control_tasks", body)
        assert len(body["tasks"]) <= 3
        seen += [task["taskId"] for task in body["tasks"]]
        pages += 1
        if body["nextCursor"] is None:
            break
        url = f"/__mock/tasks?limit=3&cursor={body['nextCursor']}"
    assert seen == ids and pages == 3
    everything = client.get("/__mock/tasks").get_json()  # no limit: all, as before
    assert [t["taskId"] for t in everything["tasks"]] == ids and everything["nextCursor"] is None


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=1001", "limit=abc", "limit=-1", "cursor=x", "cursor=" + "9" * 19]
)
def test_a_bad_page_request_is_a_400(query: str) -> None:
    assert_error(_client().get(f"/__mock/tasks?{query}"), 400, 400)


def _pages(client: FlaskClient, listing: str, schema: str, limit: int) -> tuple[list[Any], int]:
    """Every entry of a control listing, page by page, and how many pages that took."""
    seen: list[Any] = []
    pages, url = 0, f"/__mock/{listing}?limit={limit}"
    while True:
        body = client.get(url).get_json()
        schemas.validate(schema, body)
        assert len(body[listing]) <= limit
        seen += body[listing]
        pages += 1
        if body["nextCursor"] is None:
            return seen, pages
        url = f"/__mock/{listing}?limit={limit}&cursor={body['nextCursor']}"


def test_keys_and_the_hook_journal_page_like_tasks() -> None:
    config = Config(api_keys={f"key-{i}": 10 for i in range(7)}, clock=ManualClock())
    client = create_app(config).test_client()
    keys, pages = _pages(client, "keys", "control_keys", 3)
    assert [key["key"] for key in keys] == [f"key-{i}" for i in range(7)] and pages == 3
    for i in range(5):  # refused at once (not http), so five journal entries with no waiting
        client.post(
            SUBMIT,
            json={"prompt": "a cat", "hookUrl": f"ftp://h/{i}"},
            headers={"API-KEY": "key-0"},
        )
    client.post("/__mock/clock/advance", json={"seconds": 600})
    whole = client.get("/__mock/hooks").get_json()
    assert len(whole["hooks"]) == 5 and whole["nextCursor"] is None
    hooks, pages = _pages(client, "hooks", "hook_attempts", 2)
    assert hooks == whole["hooks"] and pages == 3
    for listing in ("keys", "hooks"):
        assert_error(client.get(f"/__mock/{listing}?limit=0"), 400, 400)


def test_the_controllers_tasks_follows_every_page() -> None:
    app = create_app(Config(api_keys={KEY: 10**6}, clock=ManualClock(), max_in_progress=100))
    client = app.test_client()
    ids = [_submit(client) for _ in range(5)]
    transport = control_module.test_client_transport(client)
    mj = control_module.MockController(transport, base_url="http://localhost", api_key=KEY)
    mj.PAGE = 2
    assert [task["taskId"] for task in mj.tasks] == ids


# -- key lookup ----------------------------------------------------------------------------------


def test_sqlite_authentication_is_one_indexed_lookup_at_20k_keys(tmp_path: Path) -> None:
    """Audit: every key scanned, 57 ms per request at 20k keys with SQLite."""
    store = SqliteStore(tmp_path / "keys.db")
    with store.transaction():
        for number in range(20_000):
            store.save_account(Account(key=f"key-{number}", balance=10))
    backend = MidjourneyBackend(Config(api_keys={}, clock=ManualClock()), store=store)
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    assert backend.authenticate("key-19999") == "key-19999"
    assert len(statements) == 1 and 'WHERE "key" = ?' in statements[0].replace("'key-19999'", "?")
    started = time.perf_counter()
    for _ in range(200):
        backend.authenticate("key-12345")
    assert (time.perf_counter() - started) / 200 < 0.005  # a scan took 57 ms
    store.close()


def test_memory_authentication_does_not_scan_the_keys() -> None:
    keys = {f"key-{n}": 1 for n in range(20_000)}
    backend = MidjourneyBackend(Config(api_keys=keys, clock=ManualClock()))
    started = time.perf_counter()
    for _ in range(500):
        backend.authenticate("key-19999")
    # A scan of 20k constant-time compares took about 5 ms per call.
    assert time.perf_counter() - started < 0.5


# -- idle connections ----------------------------------------------------------------------------


def test_idle_sockets_do_not_lock_a_new_client_out() -> None:
    """Audit: 1,010 idle sockets kept everybody else out for about 20 s. At the connection
    limit the longest-idle connections are now closed, so a new client is served at once."""
    with MockServer(Config(clock=ManualClock()), port=0, connection_limit=50) as server:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(80)]
        try:
            started = time.monotonic()
            answer = requests.get(server.url + "/__mock/health", timeout=5)
            assert answer.status_code == 200
            assert time.monotonic() - started < 3
        finally:
            for sock in idle:
                sock.close()
