"""httpx in-process, sync and async, and the guards that keep every other call off the network."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request

import pytest
import requests

from mock_server import Config, ManualClock, mock_midjourney
from mock_server.modes.offline_guard import NotIntercepted

httpx = pytest.importorskip("httpx", reason="httpx is the optional [httpx] extra")
pytest.importorskip("respx", reason="respx is the optional [httpx] extra")

BASE = "https://api.midjourney-api.com"
SUBMIT = "/midjourney/v1/submit-jobs"
STATUS = "/midjourney/v1/job-status"


def _config() -> Config:
    return Config(api_keys={"k": 10}, clock=ManualClock(), seed=3)


def test_sync_httpx_runs_the_whole_lifecycle() -> None:
    with mock_midjourney(_config()) as mj, httpx.Client(base_url=BASE) as http:
        submitted = http.post(SUBMIT, json={"prompt": "a fox --ar 16:9"}, headers={"API-KEY": "k"})
        assert submitted.status_code == 200
        task_id = submitted.json()["data"]["taskId"]
        mj.advance(60)
        item = http.post(STATUS, json={"taskIds": [task_id]}, headers={"API-KEY": "k"}).json()
        assert item["data"][0]["status"] == 1
        assert http.get(item["data"][0]["images"][0]).headers["content-type"] == "image/png"
        assert mj.quota("k") == 8


def test_async_httpx_is_answered_by_the_same_app() -> None:
    async def submit_two() -> list[int]:
        async with httpx.AsyncClient(base_url=BASE) as http:
            answers = await asyncio.gather(
                *(http.post(SUBMIT, json={"prompt": "x"}, headers={"API-KEY": "k"}) for _ in "ab")
            )
        return [a.json()["status"] for a in answers]

    with mock_midjourney(_config()) as mj:
        assert asyncio.run(submit_two()) == [0, 0]
        assert len(mj.tasks) == 2


def test_httpx_sees_the_same_errors_and_drops() -> None:
    with mock_midjourney(_config()) as mj:
        missing = httpx.post(BASE + SUBMIT, json={"prompt": "x"})
        assert (missing.status_code, missing.json()["status"]) == (401, 401)
        mj.inject_fault("drop", endpoint="submit-jobs")
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(BASE + SUBMIT, json={"prompt": "x"}, headers={"API-KEY": "k"})


def test_other_hosts_and_wrong_paths_fail_loudly_for_both_libraries() -> None:
    with mock_midjourney(_config(), base_url=BASE + "/v2"):
        with pytest.raises(httpx.ConnectError, match="outside the mocked base URL"):
            httpx.post(BASE + SUBMIT, json={"prompt": "x"})
        with pytest.raises(NotIntercepted, match="outside the mocked base URL"):
            requests.post(BASE + SUBMIT, json={"prompt": "x"}, timeout=1)
        with pytest.raises(httpx.ConnectError, match="not the API"):
            httpx.get("https://example.invalid/")


def test_an_unintercepted_library_cannot_reach_the_api_host() -> None:
    with mock_midjourney(_config()), pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen(BASE + SUBMIT, timeout=1)
    assert isinstance(refused.value.reason, NotIntercepted)
    assert "leave the machine" in str(refused.value.reason)


def test_interception_ends_with_the_block() -> None:
    with mock_midjourney(_config()):
        pass
    import socket

    assert socket.getaddrinfo.__module__ == "socket"
