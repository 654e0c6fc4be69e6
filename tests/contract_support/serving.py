"""Serve the mock on loopback the way `live` sees a provider: real clock, no control API.

`live_mock()` is the honest one: the real `MockServer`, started like `mj-mock serve --clock real
--time-scale 1000 --no-control --port 0`. `wrapped_live_mock()` serves the same backend through a
WSGI middleware (a deliberately broken variant) with waitress in a thread, stopped the way
`MockServer.stop` stops it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import waitress
from waitress.server import BaseWSGIServer

from mock_server import Config, MidjourneyBackend, MockServer, RealClock, create_app
from mock_server.server import Ticker

__all__ = ["LIVE_KEYS", "WSGIApp", "live_config", "live_mock", "wrapped_live_mock"]

WSGIApp = Callable[..., Any]

# A model second is a millisecond: fast jobs (30-50 s) finish in 30-50 ms of wall time.
TIME_SCALE = 1000.0
LIVE_KEYS = {
    "contract-live-key": 1_000_000,
    "contract-live-key-2": 1_000_000,
    "contract-live-empty": 0,
}


def live_config(seed: int = 0) -> Config:
    return Config(
        api_keys=dict(LIVE_KEYS),
        clock=RealClock(),
        time_scale=TIME_SCALE,
        control_enabled=False,
        seed=seed,
    )


@contextlib.contextmanager
def live_mock(seed: int = 0) -> Iterator[str]:
    """The mock exactly as a provider stand-in: its base URL."""
    with MockServer(live_config(seed), port=0) as server:
        yield server.url


class _WaitressThread:
    def __init__(self, app: WSGIApp) -> None:
        server: Any = waitress.create_server(app, host="127.0.0.1", port=0, threads=8)
        self._server: BaseWSGIServer = server
        self._thread = threading.Thread(target=self._server.run, name="broken-mock", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.effective_port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        server = self._server
        if self._thread.is_alive():
            with contextlib.suppress(OSError):
                server.trigger.pull_trigger(lambda: self._close(server))
            self._thread.join(timeout=5)
        self._close(server)

    @staticmethod
    def _close(server: BaseWSGIServer) -> None:
        # As MockServer.stop does, except that the listening socket is closed, not "handled":
        # its default handle_close() logs "unhandled close event".
        while server._map:
            for channel in list(server._map.values()):
                if channel is server:
                    channel.close()
                else:
                    channel.handle_close()
        server.task_dispatcher.shutdown()


@contextlib.contextmanager
def wrapped_live_mock(wrap: Callable[[WSGIApp], WSGIApp], seed: int = 0) -> Iterator[str]:
    """The mock's own app inside `wrap(app)`, served on loopback: its base URL."""
    backend = MidjourneyBackend(live_config(seed))
    app = wrap(create_app(backend=backend))
    ticker = Ticker(backend)
    server = _WaitressThread(app)
    ticker.start()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        ticker.stop()
        if backend.hooks is not None:
            backend.hooks.close()
