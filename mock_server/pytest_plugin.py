"""pytest fixtures for teams testing against the mock; installing the package registers them.

- `mj_mock`: the in-process mock on a manual clock, fresh for every test.
- `mj_server`: a real server on a free loopback port, one per session (so per xdist worker),
  reset before every test; its controller talks to the control API over HTTP.
- `mj_api_key`, `mj_base_url`: what to give your client, for whichever of the two a test uses.
- `mj_hook_receiver`: a real HTTP receiver for hookUrl callbacks that can fail on demand.
- `mj_mock_config`: override it in a conftest to change the in-process mock's settings.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .clock import ManualClock
from .config import DEFAULT_BASE_URL, Config
from .controller import MockController, http_transport
from .inprocess import mock_midjourney
from .receiver import HookReceiverServer
from .server import MockServer

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


def _test_config() -> Config:
    return Config(api_keys={TEST_API_KEY: TEST_QUOTA}, clock=ManualClock(), seed=0)


@pytest.fixture
def mj_mock_config() -> Config:
    """The in-process mock's settings; override this fixture to change them."""
    return _test_config()


@pytest.fixture
def mj_mock(mj_mock_config: Config) -> Iterator[MockController]:
    """Requests to the API are answered in-process; loopback URLs pass through untouched."""
    with mock_midjourney(mj_mock_config, passthrough=LOOPBACK) as controller:
        yield controller


@pytest.fixture(scope="session")
def mj_server_instance() -> Iterator[MockServer]:
    server = MockServer(_test_config(), port=0)
    # Images must be fetchable from the server itself, since nothing intercepts the CDN here.
    server.config.image_base_url = server.url + "/cdn"
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mj_server(mj_server_instance: MockServer) -> Iterator[MockController]:
    controller = MockController(
        http_transport(mj_server_instance.url),
        base_url=mj_server_instance.url,
        api_key=TEST_API_KEY,
    )
    controller.reset()
    yield controller
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
def mj_hook_receiver() -> Iterator[HookReceiverServer]:
    """A real HTTP receiver on a free loopback port that records what it gets."""
    with HookReceiverServer() as receiver:
        yield receiver
