"""A WSGI middleware that lets a test server rewrite requests and answers as JSON.

The contract suite's stand-ins for other providers (`different.py`) and its broken servers
(`broken.py`) are the real mock with this around its app: the mock does the work, the rewrite
is the one thing that server does otherwise.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Exchange", "JsonRewrite", "call_app"]

StartResponse = Callable[..., Any]
WSGIApp = Callable[..., Any]
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden"}


def call_app(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run a WSGI app to the end: its status line, its headers less Content-Length (the caller
    sets it for the body it sends) and its whole body."""
    captured: dict[str, Any] = {}
    chunks: list[bytes] = []

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured.update(status=status, headers=headers)
        return chunks.append

    result = app(environ, capture)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
    return str(captured["status"]), headers, b"".join(chunks)


@dataclass
class Exchange:
    """One request and, after the app ran, its answer; bodies parsed as JSON when they are."""

    path: str
    key: str | None
    request: Any
    http_status: int = 0
    answer: Any = None


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class JsonRewrite:
    """`before(exchange)` may edit `exchange.request` or answer by setting `http_status` (the
    app is then not called); `after(exchange)` may edit `http_status` and `answer`."""

    def __init__(
        self,
        app: WSGIApp,
        before: Callable[[Exchange], None] | None = None,
        after: Callable[[Exchange], None] | None = None,
    ) -> None:
        self.app = app
        self.before = before
        self.after = after

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if not path.startswith("/midjourney/"):
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        exchange = Exchange(path, environ.get("HTTP_API_KEY"), _parse(raw))
        if self.before is not None:
            self.before(exchange)
        headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
        if exchange.http_status == 0:
            sent = exchange.request
            body = sent if isinstance(sent, bytes) else json.dumps(sent).encode()
            inner = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
            status, answered, answer = call_app(self.app, inner)
            exchange.http_status = int(status.split()[0])
            exchange.answer = _parse(answer)
            headers = answered
        if self.after is not None:
            self.after(exchange)
        answer = exchange.answer
        out = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        reason = _REASONS.get(exchange.http_status, "Status")
        start_response(
            f"{exchange.http_status} {reason}", [*headers, ("Content-Length", str(len(out)))]
        )
        return [out]
