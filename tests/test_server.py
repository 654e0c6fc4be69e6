"""The mock over real HTTP: waitress in a thread, `mj-mock serve` as a process."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

import schemas
from mock_server import Config, MockServer

from .support import SERVE

KEY = "server-key"


@pytest.fixture
def fast_server() -> Iterator[MockServer]:
    """A real-clock server where a 50 s job takes 50 µs, so no test has to wait for it."""
    config = Config(api_keys={KEY: 41}, time_scale=1_000_000, max_in_progress=1000)
    with MockServer(config, port=0) as server:
        yield server


def _post(url: str, path: str, body: Any, key: str = KEY) -> requests.Response:
    return requests.post(url + path, json=body, headers={"API-KEY": key}, timeout=10)


def test_submit_then_poll_over_http(fast_server: MockServer) -> None:
    submitted = _post(fast_server.url, "/midjourney/v1/submit-jobs", {"prompt": "a cat --ar 16:9"})
    schemas.validate("submit_response", submitted.json())
    task_id = submitted.json()["data"]["taskId"]
    status = _post(fast_server.url, "/midjourney/v1/job-status", {"taskIds": [task_id]})
    schemas.validate("job_status_response", status.json())
    (item,) = status.json()["data"]
    assert item["status"] == 1 and item["meta"] == {"width": 1456, "height": 816}


def test_errors_over_http_are_json(fast_server: MockServer) -> None:
    response = requests.get(fast_server.url + "/nowhere", timeout=10)
    assert response.status_code == 404
    schemas.validate("error", response.json())
    response = _post(fast_server.url, "/midjourney/v1/job-status", {"taskIds": []}, key="bad")
    assert response.status_code == 401
    schemas.validate("error", response.json())


def test_concurrent_http_submits_never_oversell(fast_server: MockServer) -> None:
    accepted: list[str] = []
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(16)

    def worker() -> None:
        session = requests.Session()
        barrier.wait()
        for _ in range(5):
            body = session.post(
                fast_server.url + "/midjourney/v1/submit-jobs",
                json={"prompt": "x"},
                headers={"API-KEY": KEY},
                timeout=10,
            ).json()
            schemas.validate("submit_response", body)
            with lock:
                statuses.append(int(body["status"]))
                if body["status"] == 0:
                    accepted.append(body["data"]["taskId"])

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(accepted) == len(set(accepted)) == 20
    assert statuses.count(1001) == 60
    assert fast_server.backend.account(KEY).balance == 1


def test_ticker_finishes_tasks_nobody_polls(fast_server: MockServer) -> None:
    finished = threading.Event()
    fast_server.backend.on_task_finished(lambda task: finished.set())
    _post(fast_server.url, "/midjourney/v1/submit-jobs", {"prompt": "a cat"})
    assert finished.wait(timeout=5), "the ticker should settle due tasks on its own"


def test_mj_mock_serve_runs_and_answers() -> None:
    command = [
        *SERVE,
        "--port",
        "0",
        "--time-scale",
        "1000000",
        "--api-key",
        "cli-key:10",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("mj-mock serving http://127.0.0.1:"), banner
        url = banner.split()[2]
        assert "cli-key" in process.stdout.readline()
        task = _post(url, "/midjourney/v1/submit-jobs", {"prompt": "a cat"}, key="cli-key")
        task_id = task.json()["data"]["taskId"]
        status = _post(url, "/midjourney/v1/job-status", {"taskIds": [task_id]}, key="cli-key")
        assert status.json()["data"][0]["status"] == 1
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
