"""In-process mode against loopback servers: the same `requests` call, timed in a loop.

The call is what a test makes: `requests.post(url, json={"taskIds": [id]}, headers={...})`.
Through `mock_midjourney` it never opens a socket; to WireMock it goes over loopback, either with a
new connection per call (`requests.post`, the plain form) or on a kept-alive `requests.Session`
(the best case for a server). Rounds alternate between the targets so background load on a shared
machine falls on all of them alike.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import requests

__all__ = ["measure_inprocess"]

JOB_STATUS = "/midjourney/v1/job-status"
SUBMIT = "/midjourney/v1/submit-jobs"
PROMPT = "a dog play with a boy --niji 6 --ar 9:16"

Call = Callable[[], requests.Response]


def _rate(call: Call, seconds: float) -> float:
    """Calls per second over `seconds` of wall time (each call checked for HTTP 200)."""
    response = call()
    if response.status_code != 200:
        raise RuntimeError(f"in-process bench call answered {response.status_code}")
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    now = start
    while now < deadline:
        for _ in range(20):
            call()
        count += 20
        now = time.perf_counter()
    return count / (now - start)


def measure_inprocess(
    wiremock_url: str,
    mock_server_url: str,
    server_task_id: str,
    api_key: str,
    rounds: int,
    seconds: float,
) -> dict[str, Any]:
    from mock_server import Config, ManualClock, mock_midjourney

    config = Config(api_keys={api_key: 10**9}, clock=ManualClock())
    headers = {"API-KEY": api_key}
    session = requests.Session()
    server_session = requests.Session()
    # The sample's completed task id: WireMock answers the same static body whatever is asked.
    peer_task_id = "JRTcg7frYrVn4PsnsboH6"

    def in_process_rate() -> float:
        with mock_midjourney(config) as mj:
            base = mj.base_url
            task_id = requests.post(
                base + SUBMIT,
                json={"prompt": PROMPT, "mode": "fast"},
                headers=headers,
                timeout=10,
            ).json()["data"]["taskId"]
            mj.complete(task_id)  # a completed item, the shape the peers' sample carries

            def in_process() -> requests.Response:
                return requests.post(
                    base + JOB_STATUS, json={"taskIds": [task_id]}, headers=headers, timeout=10
                )

            return _rate(in_process, seconds)

    def wiremock_post() -> requests.Response:
        return requests.post(
            wiremock_url + JOB_STATUS, json={"taskIds": [peer_task_id]}, headers=headers, timeout=10
        )

    def wiremock_session() -> requests.Response:
        return session.post(
            wiremock_url + JOB_STATUS, json={"taskIds": [peer_task_id]}, headers=headers, timeout=10
        )

    def mock_server_session() -> requests.Response:
        return server_session.post(
            mock_server_url + JOB_STATUS,
            json={"taskIds": [server_task_id]},
            headers=headers,
            timeout=10,
        )

    samples: dict[str, list[float]] = {
        "in_process": [],
        "wiremock_post": [],
        "wiremock_session": [],
        "mock_server_session": [],
    }
    for _ in range(rounds):
        samples["in_process"].append(in_process_rate())
        samples["wiremock_post"].append(_rate(wiremock_post, seconds))
        samples["wiremock_session"].append(_rate(wiremock_session, seconds))
        samples["mock_server_session"].append(_rate(mock_server_session, seconds))
    session.close()
    server_session.close()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {
        "calls_per_s": medians,
        "rounds": samples,
        "seconds_per_round": seconds,
        "fixture": measure_fixture(api_key),
    }


def measure_fixture(api_key: str, count: int = 300) -> dict[str, Any]:
    """What the `mj_mock` fixture costs a test: start and stop `mock_midjourney` as the plugin
    does (a fresh config, the loopback passthrough), wall and CPU ms per test, median."""
    from mock_server import Config, ManualClock, mock_midjourney
    from mock_server.testing.pytest_plugin import LOOPBACK

    def once() -> tuple[float, float]:
        config = Config(api_keys={api_key: 10**6}, clock=ManualClock(), seed=0)
        wall, cpu = time.perf_counter(), time.process_time()
        with mock_midjourney(config, passthrough=LOOPBACK):
            pass
        return time.perf_counter() - wall, time.process_time() - cpu

    for _ in range(20):
        once()
    runs = [once() for _ in range(count)]
    return {
        "wall_ms": statistics.median(r[0] for r in runs) * 1000,
        "cpu_ms": statistics.median(r[1] for r in runs) * 1000,
        "count": count,
    }
