"""A conftest (here: this module) that overrides `mj_mock_config` gets its key from `mj_api_key`."""

from __future__ import annotations

import pytest
import requests

from mock_server import Config, ManualClock, MockController


@pytest.fixture
def mj_mock_config() -> Config:
    return Config(api_keys={"team-key": 7}, clock=ManualClock())


def test_mj_api_key_follows_the_overridden_config(
    mj_mock: MockController, mj_api_key: str, mj_base_url: str
) -> None:
    assert mj_api_key == "team-key"
    answer = requests.post(
        mj_base_url + "/midjourney/v1/submit-jobs",
        json={"prompt": "x"},
        headers={"API-KEY": mj_api_key},
        timeout=5,
    )
    assert answer.json()["status"] == 0
    assert mj_mock.quota("team-key") == 5
