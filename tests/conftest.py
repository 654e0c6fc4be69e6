"""Shared fixtures for the unit tests: a backend on a manual clock and a Flask test client."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mock_server import Config, ManualClock, MidjourneyBackend, create_app

from .support import KEY, OTHER_KEY, Post


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--server",
        choices=("waitress", "granian"),
        default=None,
        help="The HTTP server every server-mode test runs on (also MJ_MOCK_SERVER); waitress "
        "unless told.",
    )


def pytest_configure(config: pytest.Config) -> None:
    """`--server granian` (or MJ_MOCK_SERVER=granian): every `MockServer` the tests start,
    and every `mj-mock serve` child (through the environment), is granian's.

    Several tests stop an `mj-mock serve` child with SIGINT, as Ctrl-C would. A runner started
    in the background (`nohup ... &`) hands its children SIGINT ignored, and an ignored signal
    stays ignored across exec, so those children never stopped (three timeouts in such a run
    of .ci/run). Caught here again, it reaches the children as the default: KeyboardInterrupt."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    name = config.getoption("--server") or os.environ.get("MJ_MOCK_SERVER")
    if not name:
        return
    os.environ["MJ_MOCK_SERVER"] = name
    if name == "granian":
        import mock_server
        import mock_server.modes.server
        import mock_server.testing.pytest_plugin
        from mock_server.modes.granian_server import GranianMockServer

        plugin = mock_server.testing.pytest_plugin
        for module in (mock_server, mock_server.modes.server, plugin):
            setattr(module, "MockServer", GranianMockServer)  # noqa: B010


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_766_900_000.0)


@pytest.fixture
def config(clock: ManualClock) -> Config:
    return Config(api_keys={KEY: 1000, OTHER_KEY: 1000}, clock=clock, seed=7)


@pytest.fixture
def backend(config: Config) -> MidjourneyBackend:
    return MidjourneyBackend(config)


@pytest.fixture
def http(backend: MidjourneyBackend) -> FlaskClient:
    return create_app(backend=backend).test_client()


@pytest.fixture
def post(http: FlaskClient) -> Post:
    """POST JSON with the test key unless told otherwise (`key=None` sends no API-KEY)."""

    def _post(path: str, body: Any = None, *, key: str | None = KEY, **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["API-KEY"] = key
        if "data" not in kwargs:
            kwargs["json"] = body
        return http.post(path, headers=headers, **kwargs)

    return _post
