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
import responses

__all__ = ["measure_fixture", "measure_inprocess", "summary_lines"]

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

    def in_process_rate(responses_mock: Any = None) -> float:
        with mock_midjourney(config, responses_mock=responses_mock) as mj:
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

    def shared_responses_rate() -> float:
        # A `responses_mock` shared with the test: every call goes through `responses`' own
        # matching, as all of them did before the interception ahead of it (the "before" row).
        with responses.RequestsMock(assert_all_requests_are_fired=False) as shared:
            return in_process_rate(shared)

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
        "in_process_shared_responses": [],
        "wiremock_post": [],
        "wiremock_session": [],
        "mock_server_session": [],
    }
    for _ in range(rounds):
        samples["in_process"].append(in_process_rate())
        samples["in_process_shared_responses"].append(shared_responses_rate())
        samples["wiremock_post"].append(_rate(wiremock_post, seconds))
        samples["wiremock_session"].append(_rate(wiremock_session, seconds))
        samples["mock_server_session"].append(_rate(mock_server_session, seconds))
    session.close()
    server_session.close()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    mine = samples["in_process"]
    return {
        "calls_per_s": medians,
        # Each round's ratio, neighbours in time, so a shared machine's load swings cancel out
        # better than in the ratio of the medians; their median.
        "round_ratio_median": {
            name: statistics.median(a / b for a, b in zip(mine, values, strict=True))
            for name, values in samples.items()
            if name != "in_process"
        },
        "rounds": samples,
        "seconds_per_round": seconds,
        "fixture": measure_fixture(api_key),
    }


def measure_fixture(api_key: str, count: int = 300) -> dict[str, Any]:
    """What the `mj_mock` fixture costs a test: start and stop `mock_midjourney` as the plugin
    does (a fresh config, the loopback passthrough), wall and CPU ms per test, median. With
    httpx installed, `with_httpx` is the same for a test that makes httpx requests: it also
    starts respx's interception, as the test's first httpx request does (the request itself is
    not counted). The two alternate, 300 each."""
    from mock_server import Config, ManualClock, mock_midjourney
    from mock_server.modes.intercept_httpx import httpx_available
    from mock_server.modes.lazy_httpx import start_waiting
    from mock_server.testing.pytest_plugin import LOOPBACK

    def once(httpx_request: bool) -> tuple[float, float]:
        config = Config(api_keys={api_key: 10**6}, clock=ManualClock(), seed=0)
        wall, cpu = time.perf_counter(), time.process_time()
        with mock_midjourney(config, passthrough=LOOPBACK):
            if httpx_request:
                start_waiting()
        return time.perf_counter() - wall, time.process_time() - cpu

    kinds = [False, True] if httpx_available() else [False]
    for _ in range(20):
        for kind in kinds:
            once(kind)
    runs: dict[bool, list[tuple[float, float]]] = {kind: [] for kind in kinds}
    for _ in range(count):
        for kind in kinds:
            runs[kind].append(once(kind))

    def summary(found: list[tuple[float, float]]) -> dict[str, Any]:
        return {
            "wall_ms": statistics.median(r[0] for r in found) * 1000,
            "cpu_ms": statistics.median(r[1] for r in found) * 1000,
            "count": count,
        }

    out = summary(runs[False])
    if True in runs:
        out["with_httpx"] = summary(runs[True])
    return out


def summary_lines(result: dict[str, Any]) -> list[str]:
    """The in-process figures as text: calls/s, the ratios the targets name, the fixture."""
    rates = result["calls_per_s"]
    mine = rates["in_process"]
    lines = [f"{name}: {rate:,.0f} calls/s" for name, rate in rates.items()]
    lines += [
        f"in-process / WireMock with a Session: {mine / rates['wiremock_session']:.2f}x "
        "(target >= 1.7x)",
        f"in-process / WireMock, plain requests.post: {mine / rates['wiremock_post']:.2f}x",
        f"in-process / the same through a shared responses_mock: "
        f"{mine / rates['in_process_shared_responses']:.2f}x",
    ]
    lines += [
        f"median of the rounds' ratios, in-process / {name}: {ratio:.2f}x"
        for name, ratio in result.get("round_ratio_median", {}).items()
    ]
    fixture = result["fixture"]
    lines.append(
        f"fixture: {fixture['wall_ms']:.3f} ms wall, {fixture['cpu_ms']:.3f} ms CPU (target < 1 ms)"
    )
    if "with_httpx" in fixture:
        httpx_fixture = fixture["with_httpx"]
        lines.append(
            f"fixture of a test making httpx requests: {httpx_fixture['wall_ms']:.3f} ms wall, "
            f"{httpx_fixture['cpu_ms']:.3f} ms CPU"
        )
    return lines
