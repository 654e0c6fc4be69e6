"""A last line of defence for the in-process mode: no socket to the mocked hosts.

`requests` and httpx are intercepted; any other HTTP library (urllib, aiohttp, httpx without the
`httpx` extra) would quietly reach the real API with a test's key. While a `mock_midjourney`
block runs, resolving the API's or the CDN's host name raises instead, naming the cause and the
fix. Loopback hosts are never guarded (a server-mode base URL lives there).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable
from typing import Any, ClassVar

__all__ = ["HostGuard", "NotIntercepted"]

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


class NotIntercepted(ConnectionError):
    """A call to a mocked host that no interceptor answered: it would have reached the network."""


class HostGuard:
    """Refuses name resolution of `hosts` while started; nests (each start needs one stop)."""

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _guarded: ClassVar[list[frozenset[str]]] = []
    _original: ClassVar[Any] = None

    def __init__(self, hosts: Iterable[str]) -> None:
        self.hosts = frozenset(h.lower() for h in hosts if h and h.lower() not in _LOOPBACK)

    def start(self) -> None:
        with HostGuard._lock:
            if not HostGuard._guarded:
                HostGuard._original = socket.getaddrinfo
                socket.getaddrinfo = _guarded_getaddrinfo
            HostGuard._guarded.append(self.hosts)

    def stop(self) -> None:
        with HostGuard._lock:
            if self.hosts in HostGuard._guarded:
                HostGuard._guarded.remove(self.hosts)
            if not HostGuard._guarded and HostGuard._original is not None:
                socket.getaddrinfo = HostGuard._original
                HostGuard._original = None


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else str(host)
    if any(name.lower() in hosts for hosts in HostGuard._guarded):
        raise NotIntercepted(
            f"mock_midjourney: a connection to {name} was about to leave the machine; only "
            "requests and httpx calls are answered in-process (httpx needs "
            "`pip install midjourney-api-mock[httpx]`). Use one of them, or run the mock as a "
            "server (mj_server) and point the client's base URL at it."
        )
    return HostGuard._original(host, *args, **kwargs)
