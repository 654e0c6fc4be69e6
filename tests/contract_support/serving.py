"""Serve the mock on loopback the way `live` sees a provider: real clock, no control API.

`live_mock()` is the honest one: the real `MockServer`, started like `mj-mock serve --clock real
--time-scale 1000 --no-control --port 0`. `wrapped_live_mock()` is the same server with a WSGI
middleware around the app (a deliberately broken variant).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from mock_server import Config, MockServer, RealClock

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


@contextlib.contextmanager
def wrapped_live_mock(wrap: Callable[[WSGIApp], WSGIApp], seed: int = 0) -> Iterator[str]:
    """The mock's own app inside `wrap(app)`, served on loopback: its base URL."""
    with MockServer(live_config(seed), port=0, wrap_app=wrap) as server:
        yield server.url
