"""In-process specifics: decorator form, refusing other URLs, custom base URLs, plugin fixtures."""

from __future__ import annotations

import pytest
import requests

from mock_server import Config, ManualClock, MockController, mock_midjourney

SUBMIT = "/midjourney/v1/submit-jobs"


def test_decorator_form_intercepts_for_the_call_only() -> None:
    mock = mock_midjourney(Config(api_keys={"k": 10}, clock=ManualClock()))

    @mock
    def submit() -> int:
        response = requests.post(
            "https://api.midjourney-api.com" + SUBMIT,
            json={"prompt": "x"},
            headers={"API-KEY": "k"},
        )
        return int(response.json()["status"])

    assert submit() == 0
    assert mock.controller is None, "stopped after the call"


def test_other_urls_are_refused_not_sent() -> None:
    with mock_midjourney(), pytest.raises(requests.ConnectionError):
        requests.get("https://example.invalid/", timeout=1)


def test_a_custom_base_url_with_a_path_prefix() -> None:
    config = Config(api_keys={"k": 10}, clock=ManualClock())
    with mock_midjourney(config, base_url="https://gateway.test/mj/") as mj:
        assert mj.base_url == "https://gateway.test/mj"
        response = requests.post(
            mj.base_url + SUBMIT, json={"prompt": "x"}, headers={"API-KEY": "k"}
        )
        assert response.json()["status"] == 0


def test_the_backend_is_reachable_for_deeper_assertions(mj_mock: MockController) -> None:
    requests.post(
        mj_mock.base_url + SUBMIT, json={"prompt": "x"}, headers={"API-KEY": mj_mock.api_key}
    )
    assert mj_mock.backend is not None and mj_mock.backend.task_count() == 1


def test_plugin_helpers_follow_the_mode(
    mj_mock: MockController, mj_api_key: str, mj_base_url: str
) -> None:
    assert (mj_api_key, mj_base_url) == (mj_mock.api_key, mj_mock.base_url)


def test_plugin_helpers_follow_the_server(
    mj_server: MockController, mj_api_key: str, mj_base_url: str
) -> None:
    assert (mj_api_key, mj_base_url) == (mj_server.api_key, mj_server.base_url)
    assert mj_base_url.startswith("http://127.0.0.1:")


def test_starting_twice_is_refused() -> None:
    mock = mock_midjourney()
    with mock, pytest.raises(RuntimeError):
        mock.start()
