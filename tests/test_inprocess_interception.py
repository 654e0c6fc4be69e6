"""The cheaper in-process interception of `requests` (`intercept_requests.py`): every call is
answered as `responses` answered it, sessions' own adapters and retries still apply, and a test's
own `responses` mock can stand beside the mock."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import pytest
import requests
import responses
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mock_server import Config, ManualClock, MockController, mock_midjourney

BASE = "https://api.midjourney-api.com"
SUBMIT = "/midjourney/v1/submit-jobs"
STATUS = "/midjourney/v1/job-status"
KEY = {"API-KEY": "k"}


def _config(quota: int = 100) -> Config:
    return Config(api_keys={"k": quota}, clock=ManualClock(), seed=5)


def _submit(session: Any = requests, base: str = BASE, **kwargs: Any) -> requests.Response:
    response: requests.Response = session.post(
        base + SUBMIT, json={"prompt": "a fox"}, headers=KEY, timeout=5, **kwargs
    )
    return response


def test_the_answer_looks_as_it_did_through_responses() -> None:
    with mock_midjourney(_config()) as mj:
        response = _submit()
        assert (response.status_code, response.reason, response.url) == (200, "OK", BASE + SUBMIT)
        assert response.headers["Content-Type"] == "application/json"
        assert response.encoding == "utf-8"
        assert response.request.body is not None
        assert json.loads(response.request.body) == {"prompt": "a fox"}
        task_id = response.json()["data"]["taskId"]
        assert [task["taskId"] for task in mj.tasks] == [task_id]


def test_errors_come_back_with_their_status() -> None:
    with mock_midjourney(_config()):
        refused = requests.post(BASE + SUBMIT, json={"prompt": "a fox"}, timeout=5)
    assert (refused.status_code, refused.reason, refused.json()["status"]) == (
        401,
        "Unauthorized",
        401,
    )


def test_environment_proxies_do_not_apply_to_the_mocked_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nothing is listening on port 9: a proxied call would fail to connect.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    with mock_midjourney(_config()):
        assert _submit().json()["status"] == 0


def test_response_hooks_still_run_as_requests_merges_them() -> None:
    seen: list[int] = []
    with mock_midjourney(_config()), requests.Session() as session:
        session.hooks["response"].append(lambda r, **kwargs: seen.append(r.status_code))
        assert _submit(session).json()["status"] == 0
        assert _submit(session, hooks={"response": lambda r, **kw: seen.append(-1)}).ok
    assert seen == [200, -1], "a request's own hooks replace the session's"


def test_a_body_from_a_file_object_is_read() -> None:
    with mock_midjourney(_config()) as mj:
        response = requests.post(
            BASE + SUBMIT,
            data=io.BytesIO(b'{"prompt": "from a file"}'),
            headers={**KEY, "Content-Type": "application/json"},
            timeout=5,
        )
        assert response.json()["status"] == 0
        assert response.request.body == b'{"prompt": "from a file"}'
        mj.assert_submitted(prompt="from a file")


def test_an_adapter_that_overrides_send_still_runs_its_code() -> None:
    class KeyAdapter(HTTPAdapter):
        def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            request.headers["API-KEY"] = "k"
            return super().send(request, **kwargs)

    with mock_midjourney(_config()), requests.Session() as session:
        session.mount("https://", KeyAdapter())
        answer = session.post(BASE + SUBMIT, json={"prompt": "a fox"}, timeout=5).json()
    assert answer["status"] == 0, "the adapter's key reached the mock"


def test_a_mounted_retry_policy_retries_the_mocks_503s() -> None:
    policy = Retry(total=2, status_forcelist=[503], allowed_methods=None, backoff_factor=0)
    with mock_midjourney(_config()) as mj, requests.Session() as session:
        session.mount("https://", HTTPAdapter(max_retries=policy))
        mj.inject_fault("status", status=503, count=2, endpoint="submit-jobs")
        assert _submit(session).json()["status"] == 0
        assert mj.request_counts() == {"submit-jobs": 3}
        mj.inject_fault("status", status=503, count=3, endpoint="submit-jobs")
        with pytest.raises(requests.exceptions.RetryError):
            _submit(session)


def test_a_dropped_connection_is_a_connection_error() -> None:
    with mock_midjourney(_config()) as mj:
        mj.inject_fault("drop", endpoint="submit-jobs")
        with pytest.raises(requests.ConnectionError, match="injected drop"):
            _submit()


def test_images_stream_through_raw_and_iter_content() -> None:
    with mock_midjourney(_config()) as mj:
        task_id = _submit().json()["data"]["taskId"]
        mj.complete(task_id)
        (item,) = requests.post(
            BASE + STATUS, json={"taskIds": [task_id]}, headers=KEY, timeout=5
        ).json()["data"]
        whole = requests.get(item["images"][0], timeout=5).content
        streamed = requests.get(item["images"][0], stream=True, timeout=5)
        assert streamed.raw.read() == whole
        chunks = b"".join(requests.get(item["images"][0], stream=True).iter_content(64))
    assert whole.startswith(b"\x89PNG") and chunks == whole


def test_a_tests_own_responses_mock_inside_the_block_stands_beside_the_mock() -> None:
    with mock_midjourney(_config()), responses.RequestsMock() as own:
        own.get("https://elsewhere.test/ping", json={"pong": True})
        assert requests.get("https://elsewhere.test/ping", timeout=5).json() == {"pong": True}
        assert _submit().json()["status"] == 0
        assert [call.request.url for call in own.calls] == ["https://elsewhere.test/ping"]


def test_a_shared_responses_mock_still_sees_and_records_the_api_calls() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as shared:
        shared.get("https://elsewhere.test/ping", body="pong")
        with mock_midjourney(_config(), responses_mock=shared):
            assert _submit().json()["status"] == 0
            assert requests.get("https://elsewhere.test/ping", timeout=5).text == "pong"
        assert [call.request.url for call in shared.calls] == [
            BASE + SUBMIT,
            "https://elsewhere.test/ping",
        ]


def test_nested_mocks_each_answer_their_own_base_url() -> None:
    with mock_midjourney(_config()) as outer:
        with mock_midjourney(_config(), base_url="https://gateway.test/mj") as inner:
            assert _submit(base="https://gateway.test/mj").json()["status"] == 0
            assert _submit().json()["status"] == 0
            assert (len(inner.tasks), len(outer.tasks)) == (1, 1)
        assert _submit().json()["status"] == 0
        assert len(outer.tasks) == 2
        with pytest.raises(requests.ConnectionError):
            _submit(base="https://gateway.test/mj")


def test_the_same_base_url_nested_goes_to_the_newest_mock() -> None:
    with mock_midjourney(_config()) as outer, mock_midjourney(_config()) as inner:
        _submit()
        assert (len(inner.tasks), len(outer.tasks)) == (1, 0)


def test_interception_ends_with_the_last_block() -> None:
    get_adapter = requests.Session.get_adapter
    merge = requests.Session.merge_environment_settings
    with mock_midjourney(_config()), mock_midjourney(_config()):
        assert requests.Session.get_adapter is not get_adapter
    assert requests.Session.get_adapter is get_adapter
    assert requests.Session.merge_environment_settings is merge


def test_concurrent_submits_from_threads_are_each_answered_and_charged_once() -> None:
    answers: list[int] = []
    lock = threading.Lock()

    def submit_five() -> None:
        with requests.Session() as session:
            for _ in range(5):
                status = _submit(session).json()["status"]
                with lock:
                    answers.append(status)

    config = _config(quota=1000)
    config.max_in_progress = 100
    with mock_midjourney(config) as mj:
        threads = [threading.Thread(target=submit_five) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [0] * 40
        assert len(mj.tasks) == 40
        assert mj.quota("k") == 1000 - 40 * 2


def test_the_plugin_fixture_uses_it_too(mj_mock: MockController) -> None:
    with requests.Session() as session:
        answer = session.post(
            mj_mock.base_url + SUBMIT,
            json={"prompt": "a fox"},
            headers={"API-KEY": mj_mock.api_key},
        ).json()
    assert answer["status"] == 0 and len(mj_mock.tasks) == 1


@responses.activate
def test_responses_activate_on_a_test_using_the_fixture(mj_mock: MockController) -> None:
    # The decorator starts `responses` after the fixture started the mock: both answer.
    responses.get("https://elsewhere.test/ping", json={"pong": True})
    assert requests.get("https://elsewhere.test/ping", timeout=5).json() == {"pong": True}
    answer = requests.post(
        mj_mock.base_url + SUBMIT, json={"prompt": "a fox"}, headers={"API-KEY": mj_mock.api_key}
    ).json()
    assert answer["status"] == 0 and len(mj_mock.tasks) == 1


def test_a_session_without_adapters_fails_as_requests_does() -> None:
    with mock_midjourney(_config()), requests.Session() as session:
        session.adapters.clear()
        with pytest.raises(requests.exceptions.InvalidSchema, match="No connection adapters"):
            _submit(session)


def test_code_asking_the_session_gets_requests_own_adapter_and_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    with mock_midjourney(_config()) as mj, requests.Session() as session:
        adapter = session.get_adapter(BASE + SUBMIT)
        assert adapter is session.adapters["https://"]
        settings = session.merge_environment_settings(BASE + SUBMIT, {}, None, None, None)
        assert settings["proxies"]["https"] == "http://proxy.test:3128"
        # Configured through get_adapter, as clients do: the retries apply to the mock's answers.
        adapter.max_retries = Retry(total=1, status_forcelist=[503], allowed_methods=None)
        mj.inject_fault("status", status=503, count=1, endpoint="submit-jobs")
        assert _submit(session).json()["status"] == 0
        assert mj.request_counts() == {"submit-jobs": 2}
