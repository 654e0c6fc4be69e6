"""Sending one hook POST: the `HookSender` protocol and the real one, over HTTP.

The dispatcher (`delivery.dispatcher`) decides when and what to send; a sender only sends and
reports how it went. The in-process mode plugs in its own sender (`modes.inprocess`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from typing import Protocol
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


def _since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)


def _short_error(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:297] + "..."
