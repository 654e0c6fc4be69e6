"""Reliability under load, and the security bits: constant-time key checks, the control token.

The load test drives a real server (waitress on a loopback port, real clock) with 32 client
threads for `RUN_SECONDS` against one key whose quota runs out mid-run, then proves from the
responses, the ledger and the task records that nothing was oversold, duplicated or lost, and that
the in-progress limit held at every moment, not only at the moments a sampler looked.
"""

from __future__ import annotations

import hmac
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from flask import Flask

import schemas
from mock_server import Config, ManualClock, MidjourneyBackend, MockServer, create_app
from mock_server.domain import ledger as backend_module
from mock_server.errors import Unauthorized
from mock_server.web.control import TOKEN_HEADER

from .support import assert_error

# -- the load test -------------------------------------------------------------------------------

# The issue asks for 20 s: kept, since the whole suite stays near two minutes on 2 cores with it.
RUN_SECONDS = 20.0
THREADS = 32
KEY = "load-key"
# Runs out a few seconds in (fast tasks take 0.12-0.2 s here, relaxed 0.24-0.96 s, failing ones
# 8-20 ms), so the rest of the run fights over the units failed tasks refund: the oversell race.
QUOTA = 250
MAX_IN_PROGRESS = 10  # [doc] the documented limit, the mock's default
TIME_SCALE = 250
COSTS = {"fast": 2, "relaxed": 1}
# (prompt, mode, fails): failing prompts are refunded, which hands quota back mid-run.
PROMPTS = (
    ("a red fox in the snow --ar 16:9", "fast", False),
    ("a lighthouse at dusk --v 7", "relaxed", False),
    ("a cat --p 123123", "fast", True),
    ("gore", "relaxed", True),
)
SUBMIT = "/midjourney/v1/submit-jobs"
STATUS = "/midjourney/v1/job-status"
UNKNOWN_ID = "unknown-task-id-00000"


@dataclass
class Ledger:
    """What the clients saw, shared by the worker threads under `lock`."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    accepted: list[str] = field(default_factory=list)
    modes: dict[str, str] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    codes: dict[int, int] = field(default_factory=dict)
    requests: int = 0
    problems: list[str] = field(default_factory=list)
    in_progress_samples: list[int] = field(default_factory=list)
    quota_samples: list[int] = field(default_factory=list)

    def problem(self, text: str) -> None:
        with self.lock:
            if len(self.problems) < 20:
                self.problems.append(text)


@pytest.fixture
def load_server() -> Iterator[MockServer]:
    config = Config(
        api_keys={KEY: QUOTA},
        time_scale=TIME_SCALE,
        max_in_progress=MAX_IN_PROGRESS,
        seed=3,
    )
    with MockServer(config, port=0, threads=8) as server:
        yield server


def _call(
    session: requests.Session, ledger: Ledger, method: str, url: str, **kwargs: Any
) -> Any | None:
    """One request; anything but a 200 with a JSON body is a problem (no retries, ever)."""
    with ledger.lock:
        ledger.requests += 1
    try:
        response = session.request(method, url, timeout=30, **kwargs)
    except requests.RequestException as exc:
        ledger.problem(f"{method} {url}: {type(exc).__name__}: {exc}")
        return None
    if response.status_code != 200:
        ledger.problem(f"{method} {url}: HTTP {response.status_code} {response.text[:200]}")
        return None
    try:
        return response.json()
    except ValueError:
        ledger.problem(f"{method} {url}: not JSON: {response.text[:200]}")
        return None


def _validated(ledger: Ledger, schema_name: str, body: Any) -> bool:
    problems = schemas.errors(schema_name, body)
    if problems:
        ledger.problem(f"{schema_name}: {problems[:3]}: {str(body)[:200]}")
    return not problems


def _worker(url: str, ledger: Ledger, deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    headers = {"API-KEY": KEY}
    last_seen: dict[str, int] = {}  # per thread: its requests are sequential, so time-ordered
    while time.monotonic() < deadline:
        if rng.random() < 0.5:
            prompt, mode, fails = rng.choice(PROMPTS)
            submitted = {"prompt": prompt, "mode": mode}
            body = _call(session, ledger, "POST", url + SUBMIT, json=submitted, headers=headers)
            if body is None or not _validated(ledger, "submit_response", body):
                continue
            code = int(body["status"])
            with ledger.lock:
                ledger.codes[code] = ledger.codes.get(code, 0) + 1
                if code == 0:
                    task_id = body["data"]["taskId"]
                    ledger.accepted.append(task_id)
                    ledger.modes[task_id] = mode
                    if fails:
                        ledger.failing.add(task_id)
            if code not in (0, 1001, 1002):
                ledger.problem(f"submit answered status {code}: {body}")
            continue
        with ledger.lock:
            known = list(ledger.accepted)  # every id here was answered before this poll is sent
        # Mostly a few ids, as a client polls; now and then the documented maximum of 100.
        size = 99 if rng.random() < 0.05 else rng.randint(1, 9)
        asked = [*rng.sample(known, min(len(known), size)), UNKNOWN_ID]
        rng.shuffle(asked)
        body = _call(
            session, ledger, "POST", url + STATUS, json={"taskIds": asked}, headers=headers
        )
        if body is None or not _validated(ledger, "job_status_response", body):
            continue
        returned = [item["taskId"] for item in body["data"]]
        expected = [task_id for task_id in asked if task_id != UNKNOWN_ID]
        if returned != expected:
            missing = set(expected) - set(returned)
            ledger.problem(f"job-status lost or reordered ids: missing {sorted(missing)[:5]}")
        for item in body["data"]:
            status, before = int(item["status"]), last_seen.get(item["taskId"], 0)
            if before and status != before:
                ledger.problem(f"{item['taskId']} moved from status {before} to {status}")
            last_seen[item["taskId"]] = status


def _sampler(url: str, ledger: Ledger, stop: threading.Event) -> None:
    """Watches the key through the control API while the load runs."""
    session = requests.Session()
    while not stop.wait(0.02):
        body = _call(session, ledger, "GET", url + "/__mock/keys")
        if body is None or not _validated(ledger, "control_keys", body):
            continue
        (mine,) = [k for k in body["keys"] if k["key"] == KEY]
        with ledger.lock:
            ledger.in_progress_samples.append(mine["inProgress"])
            ledger.quota_samples.append(mine["quota"])


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    """Most intervals open at one instant; at a tie a finish comes first (the backend frees the
    slot under its lock before a later submit can take it)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def _post(url: str, path: str, body: Any) -> Any:
    response = requests.post(url + path, json=body, headers={"API-KEY": KEY}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_32_threads_never_oversell_lose_or_exceed_the_limit(load_server: MockServer) -> None:
    url = load_server.url
    ledger = Ledger()
    stop = threading.Event()
    deadline = time.monotonic() + RUN_SECONDS
    workers = [
        threading.Thread(target=_worker, args=(url, ledger, deadline, seed), name=f"load-{seed}")
        for seed in range(THREADS)
    ]
    sampler = threading.Thread(target=_sampler, args=(url, ledger, stop), name="load-sampler")
    sampler.start()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=RUN_SECONDS + 60)
        assert not thread.is_alive(), "a client thread hung: the server stopped answering"
    stop.set()
    sampler.join(timeout=30)

    # The server answered every request: no connection error, no 5xx, every body schema-valid.
    assert ledger.problems == [], ledger.problems
    assert ledger.requests > THREADS * 10, ledger.requests
    # The run really hit both limits, so the assertions below are about a contended ledger.
    assert ledger.codes.get(1002, 0) > 0 and ledger.codes.get(1001, 0) > 0, ledger.codes

    # Let the last tasks finish (the ticker applies them on wall time).
    give_up = time.monotonic() + 15
    while load_server.backend.in_progress_count(KEY) and time.monotonic() < give_up:
        time.sleep(0.05)
    assert load_server.backend.in_progress_count(KEY) == 0

    # No taskId duplicated, none lost, none invented: the store holds exactly the accepted ones.
    accepted = ledger.accepted
    assert len(accepted) == len(set(accepted)) == ledger.codes[0]
    listing = requests.get(url + "/__mock/tasks", timeout=30).json()
    schemas.validate("control_tasks", listing)
    assert {task["taskId"] for task in listing["tasks"]} == set(accepted)
    final: dict[str, dict[str, Any]] = {}
    for start in range(0, len(accepted), 100):
        batch = accepted[start : start + 100]
        body = _post(url, STATUS, {"taskIds": batch})
        schemas.validate("job_status_response", body)
        assert [item["taskId"] for item in body["data"]] == batch
        final.update((item["taskId"], item) for item in body["data"])
    failed = {task_id for task_id, item in final.items() if int(item["status"]) == 2}
    assert {int(item["status"]) for item in final.values()} <= {1, 2}
    assert failed == ledger.failing  # the prompts that fail, and only those

    # Quota never oversold: charges and refunds add up to the balance, which never went negative.
    charged = sum(COSTS[ledger.modes[task_id]] for task_id in accepted)
    refunded = sum(COSTS[ledger.modes[task_id]] for task_id in failed)
    keys = requests.get(url + "/__mock/keys", timeout=30).json()
    schemas.validate("control_keys", keys)
    (account,) = [k for k in keys["keys"] if k["key"] == KEY]
    assert account["charged"] == charged
    assert account["refunded"] == refunded
    assert account["quota"] == QUOTA - charged + refunded >= 0
    assert ledger.quota_samples and min(ledger.quota_samples) >= 0

    # At most MAX_IN_PROGRESS at any moment: sampled live, and proven from every task's lifetime.
    assert ledger.in_progress_samples and max(ledger.in_progress_samples) <= MAX_IN_PROGRESS
    tasks = load_server.backend.tasks()
    lifetimes = [(t.created_at, t.finished_at) for t in tasks if t.finished_at is not None]
    assert len(lifetimes) == len(accepted)
    assert _max_overlap(lifetimes) == MAX_IN_PROGRESS


def test_max_overlap_counts_open_intervals() -> None:
    assert _max_overlap([(0, 2), (1, 3), (2, 4)]) == 2  # the first ends as the third starts
    assert _max_overlap([(0, 5), (1, 2), (1, 3)]) == 3
    assert _max_overlap([]) == 0


# -- API keys are compared in constant time ------------------------------------------------------


def _spy_compare_digest(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(backend_module.hmac, "compare_digest", spy)
    return calls


def test_authenticate_looks_the_key_up_and_compares_it_in_constant_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One lookup by key (O(1); the audit timed a scan of 20k keys at 57 ms per request), then
    a constant-time compare of the one account found."""
    keys = {"key-one": 1, "key-two": 1, "key-three": 1}
    backend = MidjourneyBackend(Config(api_keys=keys, clock=ManualClock()))
    calls = _spy_compare_digest(monkeypatch)
    for given in ("key-one", "key-three", "key-thre", "KEY-ONE", "x" * 10_000):
        calls.clear()
        if given in keys:
            assert backend.authenticate(given) == given
            assert calls == [(given.encode(), given.encode())]
        else:
            with pytest.raises(Unauthorized):
                backend.authenticate(given)
            assert calls == []  # no account to compare with


def test_the_api_authenticates_through_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    client = create_app(Config(api_keys={"k1": 10, "k2": 10}, clock=ManualClock())).test_client()
    calls = _spy_compare_digest(monkeypatch)
    for key, expected, compares in (("k2", 200, 1), ("nope", 401, 0)):
        calls.clear()
        response = client.post(STATUS, json={"taskIds": []}, headers={"API-KEY": key})
        assert response.status_code == expected
        assert len(calls) == compares


# -- the control token guards every control route ------------------------------------------------

TOKEN = "s3cret-token"


def _control_requests(app: Flask) -> list[tuple[str, str]]:
    """(method, url) for every method of every /__mock rule, path arguments filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/__mock"):
            continue
        if getattr(app.view_functions[rule.endpoint], "mj_mock_public", False):
            continue  # the dashboard's static page and files: tests/test_dashboard.py
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<{argument}>", "some-id")
        assert "<" not in url, rule.rule
        found.extend((method, url) for method in sorted(rule.methods or ()))
    return found


@pytest.fixture
def guarded() -> tuple[Flask, MidjourneyBackend]:
    backend = MidjourneyBackend(
        Config(api_keys={KEY: 10}, clock=ManualClock(), control_token=TOKEN)
    )
    return create_app(backend=backend), backend


@pytest.mark.parametrize(
    "headers",
    [{}, {TOKEN_HEADER: "wrong"}, {TOKEN_HEADER: TOKEN[:-1]}, {"Authorization": "Bearer nope"}],
    ids=["none", "wrong", "prefix", "bad-bearer"],
)
def test_every_control_route_refuses_without_the_token(
    guarded: tuple[Flask, MidjourneyBackend], headers: dict[str, str]
) -> None:
    app, backend = guarded
    client = app.test_client()
    task_id = client.post(SUBMIT, json={"prompt": "x"}, headers={"API-KEY": KEY}).get_json()
    routes = _control_requests(app)
    assert len(routes) >= 20  # health, reset, clock, tasks, keys, faults, hooks, x methods
    for method, url in routes:
        response = client.open(url, method=method, json={"seconds": 1}, headers=headers)
        assert response.status_code == 401, (method, url, response.status_code)
        if method != "HEAD":
            assert_error(response, 401, 401, TOKEN_HEADER)
    # And nothing happened: the task is still there, no fault or key was added.
    assert [t.task_id for t in backend.tasks()] == [task_id["data"]["taskId"]]
    assert backend.faults.faults() == [] and [a.key for a in backend.accounts()] == [KEY]


def test_every_control_route_accepts_the_token(guarded: tuple[Flask, MidjourneyBackend]) -> None:
    app, _ = guarded
    client = app.test_client()
    for header in ({TOKEN_HEADER: TOKEN}, {"Authorization": f"Bearer {TOKEN}"}):
        for method, url in _control_requests(app):
            response = client.open(url, method=method, headers=header)
            assert response.status_code != 401, (method, url, response.get_data(as_text=True))


def test_the_api_itself_does_not_take_the_control_token(
    guarded: tuple[Flask, MidjourneyBackend],
) -> None:
    app, _ = guarded
    response = app.test_client().post(STATUS, json={"taskIds": []}, headers={TOKEN_HEADER: TOKEN})
    assert_error(response, 401, 401, "API-KEY")
