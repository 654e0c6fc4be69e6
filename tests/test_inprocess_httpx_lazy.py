"""httpx interception starts at a test's first httpx request (`lazy_httpx.py`), and from then on
intercepts exactly as when it started with the mock: whichever client, sync or async, thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from mock_server import Config, ManualClock, MockController, mock_midjourney

httpx = pytest.importorskip("httpx", reason="httpx is the optional [httpx] extra")
respx = pytest.importorskip("respx", reason="respx is the optional [httpx] extra")
httpcore = pytest.importorskip("httpcore")

BASE = "https://api.midjourney-api.com"
SUBMIT = "/midjourney/v1/submit-jobs"
KEY = {"API-KEY": "k"}


def _config() -> Config:
    return Config(api_keys={"k": 100}, clock=ManualClock(), seed=7)


def _pool_is_patched() -> bool:
    """True while respx has replaced httpcore's connection pool (its interception)."""
    return httpcore.ConnectionPool.handle_request is not ORIGINAL_HANDLE_REQUEST


ORIGINAL_HANDLE_REQUEST = httpcore.ConnectionPool.handle_request


def test_respx_starts_only_with_the_first_httpx_request() -> None:
    with mock_midjourney(_config()) as mj:
        assert not _pool_is_patched(), "a block without httpx requests leaves httpx alone"
        assert httpx.post(BASE + SUBMIT, json={"prompt": "a"}, headers=KEY).json()["status"] == 0
        assert _pool_is_patched()
        assert len(mj.tasks) == 1
    assert not _pool_is_patched()
    assert httpx.Client.send.__module__ == "httpx._client"


def test_a_client_made_before_the_block_is_intercepted() -> None:
    with httpx.Client(base_url=BASE, headers=KEY) as client, mock_midjourney(_config()) as mj:
        assert client.post(SUBMIT, json={"prompt": "a"}).json()["status"] == 0
        assert len(mj.tasks) == 1


def test_a_first_request_from_another_thread_is_intercepted() -> None:
    statuses: list[int] = []

    def submit() -> None:
        statuses.append(httpx.post(BASE + SUBMIT, json={"prompt": "a"}, headers=KEY).status_code)

    with mock_midjourney(_config()) as mj:
        threads = [threading.Thread(target=submit) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200] * 4
        assert len(mj.tasks) == 4


def test_a_first_async_request_is_intercepted() -> None:
    async def submit() -> int:
        async with httpx.AsyncClient(base_url=BASE, headers=KEY) as client:
            return int((await client.post(SUBMIT, json={"prompt": "a"})).json()["status"])

    with mock_midjourney(_config()) as mj:
        assert asyncio.run(submit()) == 0
        assert len(mj.tasks) == 1


def test_nested_mocks_started_before_any_request_keep_their_eager_order() -> None:
    # respx asks the routers in start order and the outer mock's answers every URL: so, as with
    # an eager start, the outer mock answers, even when both start at the same first request.
    with mock_midjourney(_config()) as outer, mock_midjourney(_config()) as inner:
        assert httpx.post(BASE + SUBMIT, json={"prompt": "b"}, headers=KEY).status_code == 200
        assert (len(outer.tasks), len(inner.tasks)) == (1, 0)


def test_a_router_the_test_started_first_keeps_its_stubs() -> None:
    with respx.mock(assert_all_called=False) as own:
        own.get("https://elsewhere.test/ping").respond(json={"pong": True})
        with mock_midjourney(_config()) as mj:
            assert httpx.get("https://elsewhere.test/ping").json() == {"pong": True}
            assert httpx.post(BASE + SUBMIT, json={"prompt": "a"}, headers=KEY).status_code == 200
            assert len(mj.tasks) == 1


def test_the_mocks_router_keeps_the_place_an_eager_start_gave_it() -> None:
    # Started after the mock, before its first request: consulted after the mock's router, as
    # when the mock's started with the mock (which answers every URL, refusing the others).
    with mock_midjourney(_config()), respx.mock(assert_all_called=False) as own:
        own.get("https://elsewhere.test/ping").respond(json={"pong": True})
        assert httpx.post(BASE + SUBMIT, json={"prompt": "a"}, headers=KEY).status_code == 200
        with pytest.raises(httpx.ConnectError, match="not the API"):
            httpx.get("https://elsewhere.test/ping")


def test_the_plugin_fixture_intercepts_httpx(mj_mock: MockController) -> None:
    answer = httpx.post(
        mj_mock.base_url + SUBMIT, json={"prompt": "a"}, headers={"API-KEY": mj_mock.api_key}
    )
    assert answer.json()["status"] == 0 and len(mj_mock.tasks) == 1
