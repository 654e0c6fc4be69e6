"""Sending one hook POST: the `HookSender` protocol and the real one, over HTTP.

The dispatcher (`delivery.dispatcher`) decides when and what to send; a sender only sends and
reports how it went. The in-process mode plugs in its own sender (`modes.inprocess`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from mock_server.delivery.lanes import Watchdog
from mock_server.version import mock_version

__all__ = ["DeliveryResult", "HookSender", "HttpHookSender", "user_agent"]


@dataclass(frozen=True)
class DeliveryResult:
    status: int | None
    error: str | None
    duration: float


class HookSender(Protocol):
    def __call__(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> DeliveryResult: ...


def user_agent() -> str:
    return f"mj-mock/{mock_version()} (hook delivery)"


class HttpHookSender:
    """POSTs over HTTP (`http.client`, no proxies, no redirects followed), reading at most
    `max_response_bytes` of the answer. `timeout` is a wall-clock total for the whole attempt,
    enforced by a watchdog that shuts the socket: a receiver that answers 10 MB, never stops
    talking or drips a byte at a time costs the mock the attempt's timeout and no more."""

    def __init__(self, max_response_bytes: int) -> None:
        self._max_bytes = max_response_bytes
        self._watchdog = Watchdog()

    def __call__(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> DeliveryResult:
        import http.client
        import ssl

        started = time.monotonic()
        expired = threading.Event()
        try:
            parts = urlsplit(url)
            host, port = parts.hostname or "", parts.port
        except ValueError as exc:
            return DeliveryResult(None, _short_error(exc), _since(started))
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        # The name is resolved within the attempt's deadline too (http.client's own connect
        # would resolve it with no bound but the system resolver's, seconds per try).
        connection._create_connection = _connect_within(started + timeout)  # type: ignore[attr-defined]

        def cut() -> None:
            expired.set()
            sock = connection.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        cancel = self._watchdog.arm(started + timeout, cut)
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            response.read(self._max_bytes)
            status = response.status
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if expired.is_set() or isinstance(exc, TimeoutError):
                return DeliveryResult(None, f"timed out after {timeout:g} s", _since(started))
            return DeliveryResult(None, _short_error(exc), _since(started))
        finally:
            cancel()
            connection.close()
        if expired.is_set():
            return DeliveryResult(None, f"timed out after {timeout:g} s", _since(started))
        return DeliveryResult(status, None, _since(started))


def _connect_within(deadline: float) -> Callable[..., socket.socket]:
    """`socket.create_connection` for http.client, bounded by `deadline` (a monotonic time)
    from the name's resolution to the connected socket. The watchdog cannot cut a resolution,
    which has no socket to shut, so a slow resolver held a delivery lane past the attempt's
    timeout: the resolution runs on a daemon thread here and is abandoned at the deadline
    (it ends on its own, with the resolver's timeout)."""

    def create_connection(
        address: tuple[str, int], timeout: Any = None, source_address: Any = None, **_: Any
    ) -> socket.socket:
        host, port = address
        found: OSError | None = None
        for family, kind, proto, _name, sockaddr in _resolve(host, port, deadline):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(remaining)
                if source_address is not None:
                    sock.bind(source_address)
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                found = exc
                continue
            sock.settimeout(timeout)
            return sock
        raise found or TimeoutError(f"connecting to {host} passed the attempt's deadline")

    return create_connection


def _resolve(host: str, port: int, deadline: float) -> list[Any]:
    """getaddrinfo for a TCP connection, given up at `deadline`. An address literal needs no
    resolver and no thread (the common case: receivers on loopback)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    answer: list[Any] = []
    failure: list[OSError] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            # Looked up at call time: the in-process offline guard replaces it.
            answer.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=lookup, name="mj-mock-hook-resolve", daemon=True).start()
    if not done.wait(max(0.0, deadline - time.monotonic())):
        raise TimeoutError(f"resolving {host} passed the attempt's deadline")
    if failure:
        raise failure[0]
    return answer


def _since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)


def _short_error(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:297] + "..."
