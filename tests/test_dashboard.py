"""`/__mock/ui`: the dashboard's page, its data feed and its thumbnails, without a browser.

The browser half (clicks, rendering, escaping in the DOM) is tests/test_dashboard_browser.py.
Here: the page is static and public, the data needs the token, shows one page of tasks newest
first built from the control API's own views (checked against their schemas), refuses bad query
parameters in the API's error shape, serves thumbnails without touching the CDN's faults, and
answers in under 200 ms with 10,000 tasks (the issue's acceptance bound).
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import time
from collections.abc import Iterator
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask

import schemas
from mock_server import Config, ManualClock, MidjourneyBackend, create_app
from mock_server.domain.lifecycle import SubmitRequest
from mock_server.modes.server import MockServer
from mock_server.testing.controller import MockController
from mock_server.web.dashboard import display_url

from .support import KEY, SERVE, assert_error

TOKEN = "ui-token"
UI = "/__mock/ui"
DATA = "/__mock/ui/data"
AUTH = {"X-Mock-Token": TOKEN}


def _package_file(name: str) -> bytes:
    return resources.files("mock_server.web").joinpath("dashboard_files", name).read_bytes()


@pytest.fixture
def guarded() -> tuple[Flask, MidjourneyBackend]:
    backend = MidjourneyBackend(
        Config(api_keys={KEY: 1000}, clock=ManualClock(start=1_766_900_000.0), control_token=TOKEN)
    )
    return create_app(backend=backend), backend


def _submit(backend: MidjourneyBackend, prompt: str, mode: str = "fast") -> str:
    return backend.submit(KEY, SubmitRequest(prompt=prompt, mode=mode)).task_id


def _data(app: Flask, query: str = "") -> dict[str, Any]:
    response = app.test_client().get(f"{DATA}{query}", headers=AUTH)
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = response.get_json()
    return body


# -- the page ----------------------------------------------------------------------------------


def test_the_page_is_the_same_static_file_for_everyone(
    guarded: tuple[Flask, MidjourneyBackend],
) -> None:
    app, backend = guarded
    client = app.test_client()
    empty = client.get(UI)
    _submit(backend, "a secret prompt")
    later = client.get(UI)  # no token sent: the page is public because it holds nothing
    assert empty.status_code == later.status_code == 200
    assert empty.mimetype == "text/html"
    assert empty.data == later.data == _package_file("index.html")
    assert b"a secret prompt" not in later.data and TOKEN.encode() not in later.data
    csp = empty.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert empty.headers["Referrer-Policy"] == "no-referrer"
    for name, mimetype in (("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")):
        asset = client.get(f"{UI}/static/{name}")
        assert asset.status_code == 200 and asset.mimetype == mimetype
        assert asset.data == _package_file(name)
    assert_error(client.get(f"{UI}/static/app.py"), 404, 404, "app.py")
    assert_error(client.get(f"{UI}/static/..%2fui.py"), 404, 404)


def test_the_page_never_writes_data_as_html() -> None:
    lines = _package_file("dashboard.js").decode().splitlines()
    script = "\n".join(line for line in lines if not line.lstrip().startswith("//"))
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink


def test_the_data_needs_the_control_token(guarded: tuple[Flask, MidjourneyBackend]) -> None:
    app, _ = guarded
    client = app.test_client()
    for headers in ({}, {"X-Mock-Token": "wrong"}):
        assert_error(client.get(DATA, headers=headers), 401, 401, "X-Mock-Token")
    assert client.get(DATA, headers=AUTH).status_code == 200
    assert client.get(DATA, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_without_the_control_api_there_is_no_dashboard() -> None:
    client = create_app(Config(api_keys={KEY: 10}, control_enabled=False)).test_client()
    for path in (UI, DATA, f"{UI}/static/dashboard.js"):
        assert_error(client.get(path), 404, 404)


def test_the_start_up_banner_links_the_dashboard_with_its_token() -> None:
    token = "t0k en/&"  # survives the trip through the URL
    command = [*SERVE, "--port", "0", "--control-token", token]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        assert lines[-1].startswith("  dashboard at http://127.0.0.1:"), lines
        link = urlsplit(lines[-1].split()[-1])
        assert link.path == UI and parse_qs(link.query) == {"token": [token]}
        base = f"{link.scheme}://{link.netloc}"
        assert requests.get(base + UI, timeout=10).status_code == 200
        assert requests.get(base + DATA, timeout=10).status_code == 401
        given = {"X-Mock-Token": parse_qs(link.query)["token"][0]}
        assert requests.get(base + DATA, headers=given, timeout=10).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


# -- the data ----------------------------------------------------------------------------------


def test_the_data_shows_accounts_tasks_faults_and_the_clock(
    guarded: tuple[Flask, MidjourneyBackend],
) -> None:
    app, backend = guarded
    done, failed, running = (_submit(backend, p) for p in ("a fox", "<script>x</script>", "owl"))
    backend.complete(done)
    backend.fail(failed, "<b>no</b>")
    backend.faults.add({"kind": "status", "status": 503, "endpoint": "cdn"})
    data = _data(app)

    schemas.validate("control_clock", data["clock"])
    assert data["clock"]["manual"] is True and data["clock"]["now"] == 1_766_900_000.0
    for key in data["keys"]:
        schemas.validate("control_key", key)
    # 3 fast submits at 2 each, one refunded; one still running.
    assert data["keys"] == [
        {"key": KEY, "quota": 996, "charged": 6, "refunded": 2, "inProgress": 1}
    ]
    for fault in data["faults"]:
        schemas.validate("control_fault", fault)
    assert [(f["kind"], f["status"], f["endpoint"]) for f in data["faults"]] == [
        ("status", 503, "cdn")
    ]
    assert data["counts"] == {"inProgress": 1, "completed": 1, "failed": 1}
    rows = data["tasks"]["items"]
    for row in rows:
        schemas.validate("control_task", row["task"])
    assert [row["task"]["taskId"] for row in rows] == [running, failed, done]  # newest first
    assert [row["task"]["status"] for row in rows] == [0, 2, 1]
    # Strings arrive as data; the page writes them with textContent.
    assert rows[1]["task"]["prompt"] == "<script>x</script>"
    assert rows[1]["task"]["failReason"] == "<b>no</b>"
    assert data["hooks"] == {"total": 0, "items": []}


def test_tasks_come_a_page_at_a_time_newest_first(
    guarded: tuple[Flask, MidjourneyBackend],
) -> None:
    app, backend = guarded
    ids = [_submit(backend, f"task {n}") for n in range(7)]
    backend.complete(ids[1])
    backend.complete(ids[4])

    def page(query: str) -> tuple[list[str], dict[str, Any]]:
        tasks = _data(app, query)["tasks"]
        return [row["task"]["taskId"] for row in tasks.pop("items")], tasks

    assert page("?per_page=3") == (
        [ids[6], ids[5], ids[4]],
        {"page": 1, "perPage": 3, "pages": 3, "total": 7, "status": None},
    )
    assert page("?per_page=3&page=2")[0] == [ids[3], ids[2], ids[1]]
    assert page("?per_page=3&page=3")[0] == [ids[0]]
    # Past the end (the tasks were reset under an open page): the last page.
    assert page("?per_page=3&page=40") == (
        [ids[0]],
        {"page": 3, "perPage": 3, "pages": 3, "total": 7, "status": None},
    )
    assert page("?status=1") == (
        [ids[4], ids[1]],
        {"page": 1, "perPage": 50, "pages": 1, "total": 2, "status": 1},
    )
    assert page("?status=2") == (
        [],
        {"page": 1, "perPage": 50, "pages": 1, "total": 0, "status": 2},
    )
    assert page("?status=&page=&per_page=")[1]["total"] == 7  # empty means the default


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("page=0", ("page", "between 1")),
        ("page=abc", ("page", "integer")),
        ("page=1.5", ("page", "integer")),
        ("per_page=0", ("per_page", "between 1 and 500")),
        ("per_page=501", ("per_page", "between 1 and 500")),
        ("per_page=" + "9" * 5000, ("per_page",)),
        ("status=3", ("status", "0, 1 or 2")),
        ("status=in%20progress", ("status",)),
        ("hooks=-1", ("hooks", "between 0")),
    ],
)
def test_bad_query_parameters_get_a_400_naming_them(
    guarded: tuple[Flask, MidjourneyBackend], query: str, words: tuple[str, ...]
) -> None:
    app, _ = guarded
    response = app.test_client().get(f"{DATA}?{query}", headers=AUTH)
    assert_error(response, 400, 400, *words)
    assert len(response.get_json()["message"]) < 200


def test_the_hook_journal_shows_the_newest_attempts(mj_mock: MockController) -> None:
    assert mj_mock.backend is not None
    for n in range(3):
        requests.post(
            "https://api.midjourney-api.com/midjourney/v1/submit-jobs",
            json={"prompt": f"hooked {n}", "hookUrl": "https://my-app.test/hook"},
            headers={"API-KEY": mj_mock.api_key},
            timeout=10,
        )
    mj_mock.advance(60)
    journal = [attempt["id"] for attempt in mj_mock.hooks]
    assert len(journal) == 3
    app = create_app(backend=mj_mock.backend)
    hooks = _data(app, "?hooks=2")["hooks"]
    for attempt in hooks["items"]:
        schemas.validate("hook_attempt", attempt)
    assert hooks["total"] == 3
    assert [attempt["id"] for attempt in hooks["items"]] == journal[:0:-1]
    assert _data(app, "?hooks=0")["hooks"] == {"total": 3, "items": []}


# -- thumbnails --------------------------------------------------------------------------------


def test_thumbnails_point_at_the_mock_even_when_images_point_at_the_real_cdn(
    guarded: tuple[Flask, MidjourneyBackend],
) -> None:
    app, backend = guarded
    client = app.test_client()
    task_id = _submit(backend, "a fox --ar 16:9")
    running = _submit(backend, "a cat")
    task = backend.complete(task_id)
    rows = {row["task"]["taskId"]: row for row in _data(app)["tasks"]["items"]}
    assert rows[task_id]["task"]["item"]["images"][0].startswith("https://cdn.midjourney.com/")
    assert rows[task_id]["images"] == [f"{UI}/images/{task.job_id}/0_{i}.png" for i in range(4)]
    assert rows[task_id]["grid"] == f"{UI}/images/{task.job_id}/grid_0.png"
    grid = client.get(rows[task_id]["grid"])
    cdn_grid = client.get(f"/cdn/{task.job_id}/grid_0.png")
    assert grid.status_code == 200 and grid.data == cdn_grid.data
    assert rows[running]["images"] == [] and rows[running]["grid"] is None
    for i, path in enumerate(rows[task_id]["images"]):
        thumb = client.get(path)  # public, like the CDN: an <img> sends no token
        assert thumb.status_code == 200 and thumb.mimetype == "image/png"
        assert thumb.data == client.get(f"/cdn/{task.job_id}/0_{i}.png").data
    job = backend.get_task(running).job_id
    assert_error(client.get(f"{UI}/images/{job}/0_0.png"), 404, 404, job)
    assert_error(client.get(f"{UI}/images/{task.job_id}/0_9.png"), 404, 404)


def test_display_urls_rewrite_only_images_under_the_configured_base(
    guarded: tuple[Flask, MidjourneyBackend],
) -> None:
    app, _ = guarded
    base = "https://cdn.midjourney.com"
    with app.test_request_context():
        assert display_url(f"{base}/j-1/grid_0.png", base) == f"{UI}/images/j-1/grid_0.png"
        assert display_url(f"{base}/j-1/0_0.png", base + "/") == f"{UI}/images/j-1/0_0.png"
        assert display_url("http://127.0.0.1:9/cdn/j/0_1.png", "http://127.0.0.1:9/cdn") == (
            f"{UI}/images/j/0_1.png"
        )
        assert display_url("https://elsewhere.example/j/0_0.png", base) is None
        assert display_url(f"{base}/a/b/0_0.png", base) is None
        assert display_url(f"{base}/j%3Cx/0_0.png", base) == f"{UI}/images/j%253Cx/0_0.png"


def test_watching_thumbnails_uses_up_none_of_a_cdn_fault(
    guarded: tuple[Flask, MidjourneyBackend],
) -> None:
    app, backend = guarded
    client = app.test_client()
    task = backend.complete(_submit(backend, "a fox"))
    backend.faults.add({"kind": "status", "status": 503, "endpoint": "cdn", "count": 1})
    for _ in range(3):
        assert client.get(f"{UI}/images/{task.job_id}/0_0.png").status_code == 200
    assert [(f.remaining, f.hits) for f in backend.faults.faults()] == [(1, 0)]
    # The app under test still gets the fault it was set up for.
    assert client.get(f"/cdn/{task.job_id}/0_0.png").status_code == 503


# -- 10,000 tasks ------------------------------------------------------------------------------

SEEDED = 10_000
BOUND_MS = 200.0


@pytest.fixture(scope="module")
def crowded() -> Iterator[MockServer]:
    """A real server holding 10,000 tasks, submitted through the backend: some done, some not."""
    config = Config(
        api_keys={KEY: 10**9}, clock=ManualClock(start=1_766_900_000.0), max_in_progress=SEEDED
    )
    backend = MidjourneyBackend(config)
    for n in range(SEEDED):
        backend.submit(KEY, SubmitRequest(prompt=f"prompt {n} --ar 16:9", mode="fast"))
    backend.advance(40)  # fast jobs take 30-50 s: about half finish
    with MockServer(backend=backend, port=0) as server:
        yield server


def _timed_ms(session: requests.Session, url: str, runs: int = 7) -> tuple[float, float]:
    """(median, best) of the answer time, after one warm-up call."""
    assert session.get(url, timeout=30).status_code == 200
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = session.get(url, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(times), min(times)


@pytest.mark.parametrize(
    "path",
    [UI, DATA, f"{DATA}?page=200", f"{DATA}?per_page=500", f"{DATA}?status=0&page=3"],
)
def test_the_dashboard_answers_in_under_200_ms_with_10000_tasks(
    crowded: MockServer, path: str
) -> None:
    with requests.Session() as session:
        if path.startswith(DATA):
            data = session.get(crowded.url + path, timeout=30).json()
            counts = data["counts"]
            assert sum(counts.values()) == SEEDED
            assert counts["inProgress"] > 0 and counts["completed"] > 0
        median, best = _timed_ms(session, crowded.url + path)
    print(f"{path}: median {median:.1f} ms, best {best:.1f} ms with {SEEDED} tasks")
    assert median < BOUND_MS, (path, median)
