"""Who may drive the control API, and which addresses are the mock's own.

The control API resets state, completes other keys' tasks and lists every key, so a web page the
developer happens to visit must not reach it. Three checks, run before any control route:

- **Host** (against DNS rebinding): the Host header must be a loopback name or address
  (`localhost`, `*.localhost`, 127.0.0.0/8, `[::1]`), the host the server was bound to, or a name
  in `Config.control_hosts` (`"*"` allows any). When a control token is configured the check is
  skipped: a rebinding page cannot know the token, and `http://mock:8080` in a compose file keeps
  working. [decision] Provider routes accept any Host: real clients reach the mock under names
  of their own (a service name, an alias of api.midjourney-api.com), and a page without an
  account key can do nothing there that matters.
- **Origin** (against cross-site requests): a request carrying an `Origin` that is not the
  mock's own (`http(s)://<its Host>`), `Origin: null`, or `Sec-Fetch-Site: cross-site` is refused
  with 403. This is also what keeps `/__mock/keys` (full keys, unmasked, because tests use them)
  away from other pages.
- **Content-Type** (against `text/plain` and form CSRF, which need no preflight): a control call
  that changes state (POST, PUT, PATCH, DELETE) must send `application/json`, or no body and no
  Content-Type at all; anything else is a 415.

The same question for hookUrls (`mock_server.addresses.reaches_this_mock`) is asked by the
hook policy (`delivery.policy`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import Flask, request

from mock_server.addresses import is_loopback, normal_host, split_host
from mock_server.errors import Forbidden, UnsupportedMediaType

__all__ = [
    "GUARD_KEY",
    "ControlGuard",
    "check_control_request",
]

GUARD_KEY = "mj_mock_guard"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class ControlGuard:
    """The Host names a control request may carry besides loopback ones."""

    hosts: set[str] = field(default_factory=set)
    any_host: bool = False

    @classmethod
    def install(cls, app: Flask, hosts: Iterable[str]) -> ControlGuard:
        names = {normal_host(h) for h in hosts}
        guard = cls(hosts=names - {"*"}, any_host="*" in names)
        app.extensions[GUARD_KEY] = guard
        return guard

    def allow_host(self, host: str) -> None:
        """Add the address the server is bound to (MockServer calls this)."""
        self.hosts.add(normal_host(host))

    def host_allowed(self, host_header: str) -> bool:
        name, _ = split_host(host_header)
        return self.any_host or is_loopback(name) or normal_host(name) in self.hosts


def _same_origin(origin: str, host_header: str) -> bool:
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    default = 443 if parts.scheme == "https" else 80
    name, host_port = split_host(host_header)
    return normal_host(parts.hostname) == normal_host(name) and (port or default) == (
        host_port or default
    )


def check_control_request(guard: ControlGuard, token_configured: bool) -> None:
    """Raise Forbidden or UnsupportedMediaType for a control request a browser page could forge."""
    host = request.headers.get("Host", "")
    if host and not token_configured and not guard.host_allowed(host):
        raise Forbidden(
            f"Host {host[:100]!r} is not this mock's: the control API answers to loopback names "
            "and addresses, its own host, and Config.control_hosts (or set a control token)"
        )
    origin = request.headers.get("Origin")
    if origin is not None and not _same_origin(origin, host):
        raise Forbidden(
            f"cross-origin control request from Origin {origin[:100]!r} refused: the control API "
            "is for tests, not for web pages"
        )
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        raise Forbidden("cross-site control request refused (Sec-Fetch-Site: cross-site)")
    if request.method in _UNSAFE_METHODS:
        content_type = request.headers.get("Content-Type")
        mimetype = request.mimetype
        has_body = bool(request.content_length) or "Transfer-Encoding" in request.headers
        if content_type is None and not has_body:
            return
        if mimetype != "application/json" and not mimetype.endswith("+json"):
            raise UnsupportedMediaType(
                f"control calls that change state take Content-Type application/json "
                f"(got {mimetype or 'none'})"
            )
