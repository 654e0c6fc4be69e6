"""pytest fixtures for teams testing against the mock; installing the package registers them.

- `mj_mock`: the in-process mock on a manual clock, fresh for every test.
- `mj_server`: a real server on a free loopback port, one per session (so per xdist worker),
  reset before every test; its controller talks to the control API over HTTP.
- `mj_api_key`, `mj_base_url`: what to give your client, for whichever of the two a test uses.
- `mj_hook_receiver`: a real HTTP receiver for hookUrl callbacks that can fail on demand.
- `mj_mock_config`: override it in a conftest to change the in-process mock's settings.
- `@pytest.mark.mj_scenario("quota-exhaustion")`: `mj_mock` and `mj_server` play that scenario
  (a shipped name or a file path), and `mj_hook_receiver` answers as its `receiver` says.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from mock_server.config import DEFAULT_BASE_URL, Config
from mock_server.domain.clock import ManualClock
from mock_server.domain.scenario import Scenario, load_scenario
from mock_server.modes.inprocess import mock_midjourney
from mock_server.modes.server import MockServer
from mock_server.modes.servers import serve
from mock_server.testing.controller import MockController, http_transport
from mock_server.testing.receiver import HookReceiverServer

TEST_API_KEY = "mj-test-key"
TEST_QUOTA = 1_000_000
LOOPBACK = ("http://127.0.0.1", "http://localhost", "http://[::1]")


def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    """`pytest --pyargs contract_tests --mj-target server` from an installed wheel: the suite's
    conftest is found only after the options are parsed, so load its plugin (and options) now.
    A checkout's `pytest contract_tests` loads it from the conftest as before."""
    if any(arg.split("::")[0].split(".")[0] == "contract_tests" for arg in args):
        early_config.pluginmanager.import_plugin("contract_tests.plugin")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mj_scenario(source): play a scenario (a name in fixtures/scenarios/ or a file path) "
        "in the mj_mock and mj_server fixtures",
    )


def _marked_scenario(request: pytest.FixtureRequest) -> Scenario | None:
    marker = request.node.get_closest_marker("mj_scenario")
    if marker is None:
        return None
    if len(marker.args) != 1:
        raise pytest.UsageError("mj_scenario takes one argument: a scenario name or file")
    source: Any = marker.args[0]
    return load_scenario(source)


def _test_config() -> Config:
    return Config(api_keys={TEST_API_KEY: TEST_QUOTA}, clock=ManualClock(), seed=0)


@pytest.fixture
def mj_mock_config() -> Config:
    """The in-process mock's settings; override this fixture to change them."""
    return _test_config()


@pytest.fixture
def mj_mock(mj_mock_config: Config, request: pytest.FixtureRequest) -> Iterator[MockController]:
    """Requests to the API are answered in-process; loopback URLs pass through untouched."""
    scenario = _marked_scenario(request)
    with mock_midjourney(mj_mock_config, passthrough=LOOPBACK, scenario=scenario) as controller:
        yield controller


@pytest.fixture(scope="session")
def mj_server_instance() -> Iterator[MockServer]:
    """The session's server: waitress, or the one `MJ_MOCK_SERVER` names (as for `mj-mock
    serve`), e.g. `MJ_MOCK_SERVER=granian pytest`."""
    config = _test_config().with_overrides(server=os.environ.get("MJ_MOCK_SERVER") or "waitress")
    # Images must be fetchable from the server itself, since nothing intercepts the CDN here.
    server: Any = serve(config, port=0, serve_images=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mj_server(
    mj_server_instance: MockServer, request: pytest.FixtureRequest
) -> Iterator[MockController]:
    controller = MockController(
        http_transport(mj_server_instance.url),
        base_url=mj_server_instance.url,
        api_key=TEST_API_KEY,
    )
    scenario = _marked_scenario(request)
    controller.unload_scenario()  # a test that loaded one and failed must not leak it
    controller.reset()
    if scenario is not None:
        controller.load_scenario(scenario)
    yield controller
    controller.unload_scenario()
    controller.reset()


@pytest.fixture
def mj_api_key(request: pytest.FixtureRequest) -> str:
    """The key to send: the server's test key under `mj_server`, else the first key of
    `mj_mock_config` (so a conftest that overrides the config gets its own key here)."""
    if "mj_server" in request.fixturenames:
        return TEST_API_KEY
    config: Config = request.getfixturevalue("mj_mock_config")
    return next(iter(config.api_keys), TEST_API_KEY)


@pytest.fixture
def mj_base_url(request: pytest.FixtureRequest) -> str:
    """The server's URL when the test uses `mj_server`, else the API's own URL (intercepted)."""
    if "mj_server" in request.fixturenames:
        server: MockServer = request.getfixturevalue("mj_server_instance")
        return server.url
    return DEFAULT_BASE_URL


@pytest.fixture
def mj_hook_receiver(request: pytest.FixtureRequest) -> Iterator[HookReceiverServer]:
    """A real HTTP receiver on a free loopback port that records what it gets; under an
    `mj_scenario` marker it first answers with the scenario's `receiver.answers`."""
    scenario = _marked_scenario(request)
    with HookReceiverServer() as receiver:
        if scenario is not None:
            receiver.answer_with(scenario.receiver_answers)
        yield receiver
