"""Request parsing and response rendering shared by every blueprint.

Each bad input becomes an `ApiError` here, before any route logic runs, so no malformed body can
reach the backend and every refusal leaves in the API's JSON shape.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

from flask import Response, current_app, request

import schemas
from mock_server.config import Config
from mock_server.domain.lifecycle import MidjourneyBackend
from mock_server.errors import ApiError, InvalidRequest, UnsupportedMediaType
from mock_server.web import jsonenc
from mock_server.web.wire import error_body

__all__ = [
    "current_backend",
    "error_response",
    "json_response",
    "parse_json_body",
    "read_json_body",
    "validated",
]

EXTENSION_KEY = "mj_mock"
# The blueprints the middleware tells apart (the route table, `web.routes`, makes them).
CONTROL_BLUEPRINT = "mock_control"
CDN_BLUEPRINT = "mock_cdn"


def current_backend() -> MidjourneyBackend:
    backend: MidjourneyBackend = current_app.extensions[EXTENSION_KEY]
    return backend


def json_response(body: Any, status: int = 200) -> Response:
    """`body` (a JSON value, or bytes from `jsonenc`) as an application/json answer."""
    return current_app.response_class(
        body if isinstance(body, bytes) else jsonenc.dumps(body),
        status=status,
        mimetype="application/json",
    )


# Messages can quote what the client sent (a path, an id); a 100 kB id must not come back whole.
MAX_MESSAGE_CHARS = 1000


def error_response(error: ApiError, config: Config) -> Response:
    body = error_body(error, config)
    message = body.get("message")
    if isinstance(message, str) and len(message) > MAX_MESSAGE_CHARS:
        body["message"] = message[: MAX_MESSAGE_CHARS - 3] + "..."
    return json_response(body, error.http_status)


# Deeper than any shape in schemas/ needs by far. Python's own limit on nesting differs by
# version (3.10-3.11 raise RecursionError near 1000 levels, 3.12+ parse far deeper), so the mock
# sets its own: the same body gets the same answer on every supported Python.
MAX_JSON_DEPTH = 512

# A `\uD800`-`\uDFFF` escape: the only way a JSON text can hold a lone surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _reject_constant(name: str) -> Any:
    raise InvalidRequest(f"body is not valid JSON: {name} is not a JSON number")


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`{"prompt": "", "prompt": "a cat"}` is refused: which one a client meant is a guess, and
    another parser (the real service's) may keep the other."""
    body: dict[str, Any] = {}
    for key, value in pairs:
        if key in body:
            shown = key if len(key) <= 100 else key[:97] + "..."
            raise InvalidRequest(f"body is not valid: key {shown!r} appears more than once")
        body[key] = value
    return body


def _reject_lone_surrogates(value: Any) -> None:
    """A lone surrogate parses, but no UTF-8 response could ever carry it back: a prompt holding
    one would make every later job-status of its key fail. Refuse it at the door instead."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                code = ord(item[exc.start])
                raise InvalidRequest(
                    f"body is not valid JSON text: lone UTF-16 surrogate \\u{code:04x} in a string"
                ) from None


def too_deep(value: Any) -> bool:
    """True if `value` nests arrays or objects more than MAX_JSON_DEPTH levels (iteratively, so
    the check itself cannot hit the recursion limit)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return False


def validated(schema_name: str, body: Any) -> dict[str, Any]:
    """`body` if it matches the schema, else a 400 naming the first few problems."""
    if schemas.is_valid(schema_name, body):  # the common case: no error list to build
        result: dict[str, Any] = body
        return result
    problems = schemas.errors(schema_name, body)
    if problems:
        raise InvalidRequest("; ".join(problems[:3]))
    return cast(dict[str, Any], body)


def read_json_body(config: Config) -> Any:
    """The request body as JSON, or an ApiError that says what is wrong with it."""
    if config.require_json_content_type:
        mimetype = request.mimetype
        if mimetype != "application/json" and not mimetype.endswith("+json"):
            shown = mimetype or "none"
            raise UnsupportedMediaType(f"Content-Type must be application/json (got {shown})")
    return parse_json_body(request.get_data(cache=False))


def parse_json_body(raw: bytes) -> Any:
    """A request body's bytes as JSON, or an ApiError that says what is wrong with them (the
    Flask views and the fast path both parse through here)."""
    if not raw.strip():
        raise InvalidRequest("body is empty; send a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"body is not valid UTF-8 (byte {exc.start})") from None
    try:
        body = json.loads(
            text, parse_constant=_reject_constant, object_pairs_hook=_refuse_duplicate_keys
        )
    except RecursionError:
        raise InvalidRequest("body is not valid JSON: nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError:
        # Python's guard against quadratic int parsing (more than 4300 digits by default).
        raise InvalidRequest("body is not valid JSON: a number has too many digits") from None
    # Fewer brackets than the limit cannot nest past it: the walk is for the rare deep body.
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and too_deep(body):
        raise InvalidRequest(f"body is not valid JSON: nested too deeply (limit {MAX_JSON_DEPTH})")
    if _SURROGATE_ESCAPE.search(text):
        _reject_lone_surrogates(body)
    return body
