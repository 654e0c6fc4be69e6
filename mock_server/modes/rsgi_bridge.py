"""Turning an RSGI request into a WSGI environ, and a WSGI answer into bytes, for granian.

granian's worker speaks RSGI (a scope and a protocol object per request), while the mock's Flask
app and its fast path are WSGI. This module is the translation only, with waitress's habits kept
where the mock relies on them: duplicate headers joined with ", " (so two API-KEY headers fail
authentication instead of the first one winning), header names with an underscore dropped (so
`API_KEY` cannot pose as `API-KEY`), and the untrusted proxy headers removed, as waitress's
`clear_untrusted_proxy_headers` does.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["WsgiAnswer", "call_wsgi", "environ_from_scope", "fast_request"]

_UNTRUSTED = frozenset(
    {
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-forwarded-port",
        "x-forwarded-by",
    }
)
_SPECIAL = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}


def _split_address(address: str) -> tuple[str, str]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), port


def environ_from_scope(scope: Any, body: bytes) -> dict[str, Any]:
    """The WSGI environ waitress would have built for this RSGI `scope` and its whole `body`."""
    server_host, server_port = _split_address(str(scope.server))
    client_host, client_port = _split_address(str(scope.client))
    # WSGI's PATH_INFO is the percent-decoded path as latin-1 text (PEP 3333).
    path = unquote_to_bytes(str(scope.path)).decode("latin-1")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": str(scope.method),
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": str(scope.query_string),
        "SERVER_NAME": server_host,
        "SERVER_PORT": server_port,
        "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
        "REMOTE_ADDR": client_host,
        "REMOTE_PORT": client_port,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": str(scope.scheme),
        "wsgi.input": io.BytesIO(body),
        # The body is read whole (and de-chunked) already: read it to its end, as waitress says.
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in scope.headers.items():
        lower = name.lower()
        if "_" in lower or lower in _UNTRUSTED:
            continue
        key = _SPECIAL.get(lower) or "HTTP_" + lower.upper().replace("-", "_")
        # Header values are latin-1 in WSGI; granian hands them over decoded already.
        previous = environ.get(key)
        environ[key] = value if previous is None else f"{previous}, {value}"
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        # granian has de-chunked the body: as waitress does, it is then framed by its length
        # (Werkzeug ignores Content-Length while Transfer-Encoding says chunked).
        del environ["HTTP_TRANSFER_ENCODING"]
        environ["CONTENT_LENGTH"] = str(len(body))
    if "HTTP_HOST" not in environ and scope.authority:
        environ["HTTP_HOST"] = str(scope.authority)
    return environ


def fast_request(scope: Any, body: bytes) -> tuple[str, str] | None:
    """`(path, API key)` when the request is the fast path's kind as it stands in the scope (a
    `POST` with no query string, one API-KEY header, one plain `application/json` Content-Type
    and a Content-Length that is the body's), so `FastPath.answer_body` can take it without an
    environ (building one was a tenth of a 1-id answer). Anything else (a duplicate header, a
    chunked or percent-encoded request) is None, and goes through `environ_from_scope`."""
    if scope.method != "POST" or scope.query_string:
        return None
    headers = scope.headers
    keys = headers.get_all("api-key")
    types = headers.get_all("content-type")
    if len(keys) != 1 or len(types) != 1 or "transfer-encoding" in headers:
        return None
    if types[0].partition(";")[0].strip().lower() != "application/json":
        return None
    if headers.get("content-length") != str(len(body)):
        return None
    path = str(scope.path)
    if "%" in path:
        return None
    return path, str(keys[0])


class WsgiAnswer:
    """A WSGI app's whole answer: status code, headers and body."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return None


def call_wsgi(app: WSGIApplication, environ: dict[str, Any]) -> WsgiAnswer:
    """Run `app` on `environ` to the end (the mock's answers are small: no streaming)."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return lambda data: chunks.append(data)

    chunks: list[bytes] = []
    result: Iterable[bytes] = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = started
    return WsgiAnswer(int(str(status).split(" ", 1)[0]), list(headers), b"".join(chunks))
