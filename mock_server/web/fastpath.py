"""A plain-WSGI path in front of the Flask app for the provider's happy path.

Under load, Flask and Werkzeug (request context, URL routing, request and response objects) were
a quarter of the server's time for a request whose own work is a few microseconds. This module
answers a well-formed `POST /midjourney/v1/submit-jobs` or `job-status` (JSON body, API key,
nothing unusual) without them, through the very same code the Flask views run: the same body
parser (`http.parse_json_body`), the same schema validators and backend calls and the same
renderer (`api.submit_answer`, `api.job_status_answer`), and the same journal entry
(`journal.record_exchange`). One implementation of every behaviour, two ways in.

Everything else goes to Flask unchanged, with the body it has read put back: any other route or
method, a query string, a body that is not plain `application/json` with a Content-Length within
the limit, and every request that raises an ApiError (a bad key, an invalid body, no quota); the
backend raises those before changing any state, so Flask serving the request again gives the
error exactly as before. The fast path also steps aside whole while a fault is installed (fault
injection and dropped answers are Flask hooks) and when CORS is configured (flask-cors adds its
headers to every answer).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from mock_server.domain.lifecycle import MidjourneyBackend
from mock_server.errors import ApiError
from mock_server.web.bodies import parse_json_body
from mock_server.web.journal import record_exchange
from mock_server.web.provider import job_status_answer, submit_answer
from schemas.routes import ENDPOINT_NAMES, JOB_STATUS, SUBMIT_JOBS

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["FastPath"]

Handler = Callable[..., bytes]

# Per route: the shared answer, the journal's endpoint name, and whether a remembered body's
# parsed value may be handed to it again (job-status only reads it; a submit's may be changed).
_HANDLERS: dict[str, tuple[Handler, str, bool]] = {
    SUBMIT_JOBS: (submit_answer, ENDPOINT_NAMES[SUBMIT_JOBS], False),
    JOB_STATUS: (job_status_answer, ENDPOINT_NAMES[JOB_STATUS], True),
}
_JSON = "application/json"
# A poller sends the same body again and again, and at 100 ids jsonschema took three quarters
# of the answer's time; so bodies that passed the schema are remembered (the same bytes parse
# to the same value, so they pass again): at most this many, of at most this size. For
# job-status the parsed value is kept too (parsing was a third of a 1-id answer).
KNOWN_VALID_BODIES = 1024
KNOWN_VALID_MAX_BYTES = 8 * 1024
_UNSEEN = object()


class FastPath:
    """WSGI middleware: the fast path for the two provider routes, `app` (the mock's Flask app
    over the same `backend`) for everything else."""

    def __init__(self, app: WSGIApplication, backend: MidjourneyBackend) -> None:
        self.app = app
        self.backend = backend
        self._known_valid: dict[tuple[str, bool, bytes], Any] = {}
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        answer = self.answer(environ)
        if answer is None:
            return self.app(environ, start_response)
        start_response("200 OK", [("Content-Type", _JSON), ("Content-Length", str(len(answer)))])
        return [answer]

    def answer(self, environ: WSGIEnvironment) -> bytes | None:
        """The 200 answer's body, or None when Flask must serve the request (then
        `environ["wsgi.input"]` again holds the whole body, if any was read)."""
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("QUERY_STRING"):
            return None
        path = environ.get("PATH_INFO", "")
        if path not in _HANDLERS:
            return None
        mimetype = str(environ.get("CONTENT_TYPE", "")).partition(";")[0].strip().lower()
        if mimetype != _JSON or environ.get("HTTP_TRANSFER_ENCODING"):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None
        if length <= 0 or length > self.backend.config.max_body_bytes:
            return None
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(raw)
        if len(raw) != length:
            return None
        return self.answer_body(path, environ.get("HTTP_API_KEY"), raw)

    def open_for_requests(self) -> bool:
        """False while the fast path steps aside whole: a fault is installed, or CORS is on."""
        backend = self.backend
        return not (backend.config.cors_origins or backend.faults.active)

    def answer_body(self, path: str, key: str | None, raw: bytes) -> bytes | None:
        """The 200 answer to a `POST` of `raw` (its whole body, as long as it said, sent as plain
        `application/json` with no query string) to `path` with API key `key`, or None when
        Flask must serve it. `answer` calls this once the environ passed; granian's server
        calls it straight from its own request (`modes.rsgi_bridge.fast_request`)."""
        route = _HANDLERS.get(path)
        backend = self.backend
        config = backend.config
        if route is None or not key or not raw or len(raw) > config.max_body_bytes:
            return None
        if not self.open_for_requests():
            return None
        handler, endpoint, reuse_parsed = route
        seen = (path, config.lenient_modes, raw)
        known = self._known_valid.get(seen, _UNSEEN)
        remembered = known is not _UNSEEN
        try:
            body = known if remembered and known is not None else parse_json_body(raw)
            answer = handler(backend, backend.authenticate(key), body, known_valid=remembered)
        except ApiError:
            return None
        if not remembered and len(raw) <= KNOWN_VALID_MAX_BYTES:
            self._remember(seen, body if reuse_parsed else None)
        record_exchange(
            backend,
            method="POST",
            path=path,
            endpoint=endpoint,
            api_key=key,
            body=raw,
            mimetype=_JSON,
            status=200,
            dropped=False,
            answer=answer,
            answer_mimetype=_JSON,
        )
        return answer

    def _remember(self, seen: tuple[str, bool, bytes], parsed: Any) -> None:
        with self._lock:
            while len(self._known_valid) >= KNOWN_VALID_BODIES:
                del self._known_valid[next(iter(self._known_valid))]
            self._known_valid[seen] = parsed
