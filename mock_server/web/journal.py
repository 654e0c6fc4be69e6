"""The request journal: every API and CDN request the mock answered, as WireMock keeps them.

A test asserts on what its code sent ("one submit, with this prompt") instead of only on what came
back. Entries hold the method, path, endpoint, a fingerprint of the key (never the key itself:
journals end up in CI logs), the body, the HTTP status, the answer and the mock-clock time. The
journal is a ring buffer of `Config.journal_size` entries (0 turns it off), cleared by a reset.
Control calls (`/__mock/`) are not journaled: they are the test, not the code under test.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import threading
from collections import deque
from typing import Any, cast

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from mock_server.domain.lifecycle import MidjourneyBackend
from mock_server.domain.per_backend import PerBackend
from mock_server.records import RequestRecord
from mock_server.web.bodies import CDN_BLUEPRINT, current_backend, too_deep
from mock_server.web.faults import DROP_HEADER
from mock_server.web.wire import epoch_millis
from schemas.routes import CONTROL_PREFIX, ENDPOINT_NAMES

__all__ = ["Journal", "install", "journal_for", "key_fingerprint", "record_exchange"]

# Bodies and answers longer than this are kept as a truncated string, so a full ring of large
# job-status answers stays a few megabytes.
MAX_KEPT_CHARS = 8 * 1024
# Enough bytes to hold MAX_KEPT_CHARS characters of UTF-8 and tell that the text went on.
_KEPT_BYTES = 4 * MAX_KEPT_CHARS + 4


@functools.lru_cache(maxsize=256)
def key_fingerprint(key: str | None) -> str | None:
    """A short stable digest: tells two keys apart in a journal without revealing either."""
    if not key:
        return None
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def _kept(raw: bytes, content_type: str, size: int) -> Any:
    """How the journal shows a body of `size` bytes that began with `raw`: parsed JSON when it
    is short JSON, else text (truncated), else a description."""
    text = raw.decode("utf-8", "replace")
    # Over the limit a JSON text is kept as truncated text anyway: not parsed for nothing.
    if "json" in content_type and len(text) <= MAX_KEPT_CHARS:
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):  # kept as text below
            value = None
        else:
            if not too_deep(value):
                return value
    if not raw:
        return None
    if not content_type.startswith(("text/", "application/")):
        return f"<{size} bytes of {content_type or 'unknown type'}>"
    return text if len(text) <= MAX_KEPT_CHARS else text[:MAX_KEPT_CHARS] + "..."


class _Kept:
    """A body as it was sent, shown (`_kept`) only when the journal is read: under load the
    journal entry was half of a job-status answer's time, parsing the body and the answer
    again for a journal nobody read. At most `_KEPT_BYTES` of it are held."""

    __slots__ = ("content_type", "raw", "size")

    def __init__(self, raw: bytes, content_type: str) -> None:
        self.size = len(raw)
        self.raw = raw if self.size <= _KEPT_BYTES else raw[:_KEPT_BYTES]
        self.content_type = content_type

    def shown(self) -> Any:
        return _kept(self.raw, self.content_type, self.size)


def _shown(entry: dict[str, Any]) -> RequestRecord:
    """A journal entry in its wire shape (its bodies decoded, once)."""
    for field in ("body", "answer"):
        value = entry[field]
        if isinstance(value, _Kept):
            entry[field] = value.shown()
    return cast(RequestRecord, entry)


class Journal:
    """A thread-safe ring of request entries, oldest first."""

    def __init__(self, size: int) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=max(size, 1))
        self._enabled = size > 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._enabled

    def record(self, entry: dict[str, Any]) -> None:
        """Keep `entry` (a `RequestRecord` but its `id`, which is given here, and with its
        bodies possibly still `_Kept`)."""
        if not self._enabled:
            return
        with self._lock:
            entry["id"] = next(self._ids)
            self._entries.append(entry)

    def entries(self) -> list[RequestRecord]:
        with self._lock:
            return [_shown(entry) for entry in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# The backend's journal, made (and tied to its reset) on first use.
journal_for = PerBackend(lambda backend: Journal(backend.config.journal_size), Journal.clear)


def _endpoint() -> str:
    if request.blueprint == CDN_BLUEPRINT:
        return "cdn"
    return ENDPOINT_NAMES.get(request.path, "other")


def _keep_body() -> None:
    """Cache the body before the route reads it, so `_record` can journal it afterwards."""
    if not request.path.startswith(CONTROL_PREFIX):
        request.get_data(cache=True)


def _record(response: Response) -> Response:
    if request.path.startswith(CONTROL_PREFIX):
        return response
    backend = current_backend()
    answer = None if response.is_streamed else response.get_data()
    try:
        raw: bytes | None = request.get_data(cache=True)
    except HTTPException:  # a body over the size limit: the 413 answer says so
        raw = None
    record_exchange(
        backend,
        method=request.method,
        path=request.full_path.rstrip("?"),
        endpoint=_endpoint(),
        api_key=request.headers.get("API-KEY"),
        body=raw,
        mimetype=request.mimetype or "",
        status=response.status_code,
        dropped=response.headers.get(DROP_HEADER) == "drop"
        or bool(g.get("mj_mock_drop_answer", False)),
        answer=answer,
        answer_mimetype=response.mimetype or "",
    )
    return response


def record_exchange(
    backend: MidjourneyBackend,
    *,
    method: str,
    path: str,
    endpoint: str,
    api_key: str | None,
    body: bytes | None,
    mimetype: str,
    status: int,
    dropped: bool,
    answer: bytes | None,
    answer_mimetype: str,
) -> None:
    """Journal one answered request: the one way an entry is made, for the Flask app and for
    the fast path (`web.fastpath`) alike."""
    journal = journal_for(backend)
    if not journal.enabled:
        return
    journal.record(
        {
            "id": 0,
            "at": epoch_millis(backend.clock.now()),
            "method": method,
            "path": path,
            "endpoint": endpoint,
            "keyFingerprint": key_fingerprint(api_key),
            "body": None if body is None else _Kept(body, mimetype),
            "status": status,
            "dropped": dropped,
            "answer": None if answer is None else _Kept(answer, answer_mimetype),
        }
    )


def install(app: Flask) -> None:
    """Journal every non-control request `app` answers (faults and errors included)."""
    app.before_request(_keep_body)
    app.after_request(_record)
