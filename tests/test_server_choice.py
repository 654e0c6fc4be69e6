"""`Config.server` picks the HTTP server wherever a server is built: `mock_server.serve`, the
pytest plugin's `mj_server` (through MJ_MOCK_SERVER, as for `mj-mock serve`) and the CLI."""

from __future__ import annotations

import pytest
import requests

from mock_server import Config, ManualClock, serve
from mock_server.config import ConfigError
from mock_server.modes.servers import server_class
from schemas.routes import SUBMIT_JOBS

pytest_plugins = ["pytester"]

KEY = "choice-key"


def _config(**changes: object) -> Config:
    return Config(api_keys={KEY: 100}, clock=ManualClock(start=1_000.0), **changes)


def _submit(url: str) -> int:
    answer = requests.post(url + SUBMIT_JOBS, json={"prompt": "a cat"}, headers={"API-KEY": KEY})
    return int(answer.json()["status"])


def test_serve_builds_waitress_unless_the_config_says_otherwise() -> None:
    with serve(_config(), port=0) as server:
        assert type(server).__module__ == "mock_server.modes.server"
        assert _submit(server.url) == 0


def test_serve_builds_granian_when_the_config_names_it() -> None:
    pytest.importorskip("granian")
    with serve(_config(server="granian"), port=0) as server:
        assert type(server).__name__ == "GranianMockServer"
        assert _submit(server.url) == 0


def test_the_waitress_server_refuses_a_config_naming_another_server() -> None:
    """It used to serve such a config on waitress without a word."""
    waitress_server = server_class("waitress")
    with pytest.raises(ConfigError, match=r"server='granian'.*mock_server\.serve"):
        waitress_server(_config(server="granian"), port=0)


def test_an_unknown_server_name_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="waitress or granian, got 'hypercorn'"):
        server_class("hypercorn")


def test_the_plugin_serves_on_the_server_mj_mock_server_names(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("granian")
    monkeypatch.setenv("MJ_MOCK_SERVER", "granian")
    pytester.makepyfile(
        """
        import requests

        def test_it(mj_server, mj_server_instance, mj_base_url, mj_api_key):
            assert type(mj_server_instance).__name__ == "GranianMockServer"
            answer = requests.post(
                mj_base_url + "/midjourney/v1/submit-jobs",
                json={"prompt": "a cat"},
                headers={"API-KEY": mj_api_key},
            )
            assert answer.json()["status"] == 0
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_serve_reads_the_server_from_a_ready_backend_s_config() -> None:
    pytest.importorskip("granian")
    from mock_server import MidjourneyBackend

    backend = MidjourneyBackend(_config(server="granian"))
    with serve(backend=backend, port=0) as server:
        assert type(server).__name__ == "GranianMockServer"
        assert _submit(server.url) == 0
