"""httpx interception started at the first httpx request, not with every mock.

Building and starting respx's router (`intercept_httpx.py`) was four fifths of what a test's
`mj_mock` fixture cost, 0.8 of 1 ms, and most tests never make an httpx call. So while a mock is
active, `httpx.Client.send` and `httpx.AsyncClient.send` (every request of every client, the
top-level `httpx.get` and friends included, passes through one of them) are wrapped by a check
that starts the interceptors of every active mock that has none yet, in the order the mocks
started, before the request goes on. From then on the request is intercepted exactly as when
respx was started eagerly; the wrapper is removed when the last mock stops.

respx consults its routers in the order they started. A router the test itself starts inside the
block, before its first httpx request, would otherwise come before the mock's, so the mock's
router is put back where an eager start would have put it: after every router that was running
when the mock started, and after the routers of mocks that started before it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

from mock_server.modes.intercept_httpx import HttpxInterceptor

__all__ = ["LazyHttpx"]

_lock = threading.RLock()
_waiting: list[LazyHttpx] = []  # started, no interceptor yet (read without the lock: a hint)
_active: list[LazyHttpx] = []  # started, in start order
_saved: dict[str, Any] = {}


class LazyHttpx:
    """Starts `build()`'s interceptor at the first httpx request made while this is started."""

    def __init__(self, build: Callable[[], HttpxInterceptor]) -> None:
        self._build = build
        self.interceptor: HttpxInterceptor | None = None
        self._routers_before: list[Any] = []

    def start(self) -> None:
        with _lock:
            if not _active:
                _install()
            self._routers_before = list(_running_routers())
            _active.append(self)
            _waiting.append(self)

    def stop(self) -> None:
        with _lock:
            if self in _waiting:
                _waiting.remove(self)
            if self in _active:
                _active.remove(self)
            if self.interceptor is not None:
                self.interceptor.stop()
                self.interceptor = None
            if not _active:
                _uninstall()

    def _start_now(self, earlier: list[Any]) -> None:
        interceptor = self._build()
        interceptor.start()
        self.interceptor = interceptor
        _put_in_start_order(interceptor.router, [*self._routers_before, *earlier])


def start_waiting() -> None:
    """Start the interceptor of every active mock that has none yet (idempotent)."""
    with _lock:
        if not _waiting:
            return
        for lazy in list(_waiting):
            earlier = [
                m.interceptor.router for m in _active[: _active.index(lazy)] if m.interceptor
            ]
            lazy._start_now(earlier)
            _waiting.remove(lazy)


def _running_routers() -> list[Any]:
    """respx's started routers, in the order it consults them ([] when respx is not loaded)."""
    mocks = sys.modules.get("respx.mocks")
    if mocks is None:
        return []
    mocker = mocks.Mocker.registry.get("httpcore")
    return list(getattr(mocker, "routers", []))


def _put_in_start_order(router: Any, before: list[Any]) -> None:
    routers = getattr(getattr(router, "Mocker", None), "routers", None)
    if not isinstance(routers, list) or router not in routers:
        return  # a router shared with the test (never reordered) or another respx layout
    routers.remove(router)
    position = max((routers.index(r) + 1 for r in before if r in routers), default=0)
    routers.insert(position, router)


def _send(self: Any, *args: Any, **kwargs: Any) -> Any:
    if _waiting:
        start_waiting()
    return _saved["Client.send"](self, *args, **kwargs)


async def _async_send(self: Any, *args: Any, **kwargs: Any) -> Any:
    if _waiting:
        start_waiting()
    return await _saved["AsyncClient.send"](self, *args, **kwargs)


def _install() -> None:
    import httpx

    for cls, patch in ((httpx.Client, _send), (httpx.AsyncClient, _async_send)):
        if vars(cls).get("send") is not patch:  # still ours if a later patch kept us below it
            _saved[f"{cls.__name__}.send"] = vars(cls)["send"]
            cls.send = patch  # type: ignore[method-assign]


def _uninstall() -> None:
    import httpx

    for cls, patch in ((httpx.Client, _send), (httpx.AsyncClient, _async_send)):
        if vars(cls).get("send") is patch:  # not if someone patched over us since
            cls.send = _saved[f"{cls.__name__}.send"]  # type: ignore[method-assign]
