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

`reaches_this_mock` answers the same question for hookUrls: a hook aimed at the mock's own
host:port (or any loopback alias of it) would let a submit reset the mock or complete another
key's task, so the dispatcher refuses it unless `hooks.allow_self` is set.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import Flask, request

from mock_server.errors import Forbidden, UnsupportedMediaType

__all__ = [
    "GUARD_KEY",
    "ControlGuard",
    "check_control_request",
    "is_loopback",
    "reaches_this_mock",
    "split_host",
]

GUARD_KEY = "mj_mock_guard"
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address in any form a resolver accepts (`127.1`, `2130706433`, `0x7f.0.0.1`)."""
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        if not name or not all(c.isalnum() or c == "." for c in name):
            return None
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _normal(name: str) -> str:
    name = name.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    return name


def is_loopback(name: str) -> bool:
    """True for a loopback name or address: `localhost`, `x.localhost`, 127.0.0.0/8, `::1`."""
    name = _normal(name)
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    address = _address(name)
    return address is not None and address.is_loopback


def split_host(host_header: str) -> tuple[str, int | None]:
    """`example:8080` -> ("example", 8080); `[::1]:80` -> ("::1", 80); no port -> None."""
    text = host_header.strip()
    if text.startswith("["):
        end = text.find("]")
        name, rest = text[1:end] if end > 0 else text[1:], text[end + 1 :] if end > 0 else ""
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port_text = text.partition(":")
    port = int(port_text) if port_text.isdigit() else None
    return name.lower(), port


def reaches_this_mock(url_host: str, url_port: int, own: Iterable[tuple[str, int]]) -> bool:
    """Whether a URL's host:port is one of `own` (host, port) listening addresses, counting
    loopback aliases, the unspecified address and, for a wildcard bind, this machine's names."""
    host = _normal(url_host)
    address = _address(host)
    for own_host, own_port in own:
        if own_port != url_port:
            continue
        own_name = _normal(own_host)
        own_address = _address(own_name)
        wildcard = own_address is not None and own_address.is_unspecified
        if host == own_name or is_loopback(host):
            return True
        if address is not None and (address.is_unspecified or address == own_address):
            return True
        if wildcard and host in {_normal(socket.gethostname()), _normal(socket.getfqdn())}:
            return True
    return False


@dataclass
class ControlGuard:
    """The Host names a control request may carry besides loopback ones."""

    hosts: set[str] = field(default_factory=set)
    any_host: bool = False

    @classmethod
    def install(cls, app: Flask, hosts: Iterable[str]) -> ControlGuard:
        names = {_normal(h) for h in hosts}
        guard = cls(hosts=names - {"*"}, any_host="*" in names)
        app.extensions[GUARD_KEY] = guard
        return guard

    def allow_host(self, host: str) -> None:
        """Add the address the server is bound to (MockServer calls this)."""
        self.hosts.add(_normal(host))

    def host_allowed(self, host_header: str) -> bool:
        name, _ = split_host(host_header)
        return self.any_host or is_loopback(name) or _normal(name) in self.hosts


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
    return _normal(parts.hostname) == _normal(name) and (port or default) == (host_port or default)


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
