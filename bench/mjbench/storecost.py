"""Job-status cost against store size, in-process: the whole Flask app called as WSGI (no server,
no socket) on a store of 100 tasks and on one of 100,000, timed in alternating best-of rounds.

This is the noise-proof half of the store-size figure: the HTTP half (run.py) shows the same
through waitress but moves with whatever else the machine runs.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["best_us", "measure_store_cost", "wsgi_call"]

API_KEY = "bench-key"
JOB_STATUS = "/midjourney/v1/job-status"
PROMPT = "a dog play with a boy --niji 6 --ar 9:16"


def wsgi_call(app: Any, path: str, raw: bytes, api_key: str = API_KEY) -> Callable[[], bytes]:
    """A call of `app` as a WSGI server would make it: POST `raw` as JSON to `path`."""
    base = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(raw)),
        "HTTP_API_KEY": api_key,
        "HTTP_HOST": "127.0.0.1",
    }
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
        statuses.append(status)

    def call() -> bytes:
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO(raw)
        out = b"".join(app(environ, start_response))
        if not statuses[-1].startswith("200"):
            raise RuntimeError(f"{path} answered {statuses[-1]}: {out[:200]!r}")
        return out

    return call


def best_us(call: Callable[[], object], number: int, repeat: int = 5) -> float:
    """Best of `repeat` averages over `number` calls, in CPU microseconds per call.

    CPU time of this process, not wall time: while other programs hold the CPU the clock does
    not run, so a busy shared machine moves this figure far less than it moves req/s."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for _ in range(number):
            call()
        best = min(best, (time.process_time() - started) / number)
    return best * 1e6


def _mock(tasks: int) -> tuple[Any, list[str]]:
    from mock_server import Config, ManualClock, MidjourneyBackend, create_app
    from mock_server.domain.lifecycle import SubmitRequest
    from mock_server.web.fastpath import FastPath

    config = Config(api_keys={API_KEY: 10**12}, clock=ManualClock(), max_in_progress=10**7)
    backend = MidjourneyBackend(config)
    # What MockServer serves: the fast path in front of the Flask app.
    app = FastPath(create_app(backend=backend), backend)
    request = SubmitRequest(prompt=PROMPT)
    ids = [backend.submit(API_KEY, request).task_id for _ in range(100)]
    for _ in range(tasks - 100):
        backend.submit(API_KEY, request)  # straight into the backend: the fast way to 100,000
    backend.advance(60)  # every task completed
    return app, ids


def measure_store_cost(tasks: int, rounds: int = 7, number: int = 200) -> dict[str, Any]:
    small_app, small_ids = _mock(100)
    started = time.perf_counter()
    full_app, full_ids = _mock(tasks)
    fill_s = time.perf_counter() - started
    out: dict[str, Any] = {"small_tasks": 100, "full_tasks": tasks, "fill_seconds": fill_s}
    for name, count, calls in (("job_status_1", 1, number), ("job_status_100", 100, number // 10)):
        small = wsgi_call(
            small_app, JOB_STATUS, json.dumps({"taskIds": small_ids[:count]}).encode()
        )
        full = wsgi_call(full_app, JOB_STATUS, json.dumps({"taskIds": full_ids[:count]}).encode())
        small_us: list[float] = []
        full_us: list[float] = []
        for _ in range(rounds):
            small_us.append(best_us(small, calls))
            full_us.append(best_us(full, calls))
        out[name] = {
            "small_us": min(small_us),
            "full_us": min(full_us),
            "full_over_small": min(full_us) / min(small_us),
        }
    return out
