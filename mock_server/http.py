"""Request parsing and response rendering shared by every blueprint.

Each bad input becomes an `ApiError` here, before any route logic runs, so no malformed body can
reach the backend and every refusal leaves in the API's JSON shape.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, request

from .backend import MidjourneyBackend
from .config import Config
from .errors import ApiError, InvalidRequest, UnsupportedMediaType
from .render import error_body

__all__ = ["current_backend", "error_response", "json_response", "read_json_body"]

EXTENSION_KEY = "mj_mock"


def current_backend() -> MidjourneyBackend:
    backend: MidjourneyBackend = current_app.extensions[EXTENSION_KEY]
    return backend


def json_response(body: Any, status: int = 200) -> Response:
    return current_app.response_class(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status=status,
        mimetype="application/json",
    )


def error_response(error: ApiError, config: Config) -> Response:
    return json_response(error_body(error, config), error.http_status)


def _reject_constant(name: str) -> Any:
    raise InvalidRequest(f"body is not valid JSON: {name} is not a JSON number")


def read_json_body(config: Config) -> Any:
    """The request body as JSON, or an ApiError that says what is wrong with it."""
    if config.require_json_content_type:
        mimetype = request.mimetype
        if mimetype != "application/json" and not mimetype.endswith("+json"):
            shown = mimetype or "none"
            raise UnsupportedMediaType(f"Content-Type must be application/json (got {shown})")
    raw = request.get_data(cache=False)
    if not raw.strip():
        raise InvalidRequest("body is empty; send a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"body is not valid UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise InvalidRequest("body is not valid JSON: nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
