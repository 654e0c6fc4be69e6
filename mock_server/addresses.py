"""Host names and addresses: which are loopback, and which reach this very mock.

Shared by the control API's guard (`web.guard`: loopback Host headers) and the hook policy
(`delivery.policy`: a hook aimed at the mock's own host:port, or any loopback alias of it, would
let a submit reset the mock or complete another key's task, so it is refused unless
`hooks.allow_self` is set). No Flask, no state.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

__all__ = ["is_loopback", "normal_host", "reaches_this_mock", "split_host"]

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


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


def normal_host(name: str) -> str:
    """A host name as compared: lower-case, no trailing dot, no IPv6 brackets."""
    name = name.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    return name


def is_loopback(name: str) -> bool:
    """True for a loopback name or address: `localhost`, `x.localhost`, 127.0.0.0/8, `::1`."""
    name = normal_host(name)
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
    host = normal_host(url_host)
    address = _address(host)
    for own_host, own_port in own:
        if own_port != url_port:
            continue
        own_name = normal_host(own_host)
        own_address = _address(own_name)
        wildcard = own_address is not None and own_address.is_unspecified
        if host == own_name or is_loopback(host):
            return True
        if address is not None and (address.is_unspecified or address == own_address):
            return True
        if wildcard and host in {normal_host(socket.gethostname()), normal_host(socket.getfqdn())}:
            return True
    return False
