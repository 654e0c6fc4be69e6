"""Reading one HTTP answer of the API: its body when it is a success, the right error otherwise.

The API says no in two places, the HTTP status and the body's `status` code (1001 and 1002 come
in an HTTP 200), so every answer goes through `read_answer`, and a refusal is never mistaken for
success. With validation on, a success body is also held to the consumer layer of `schemas/`:
what a client may rely on, so a new field on the provider's side never breaks it.
"""

from __future__ import annotations

from typing import Any

import requests

import schemas
from schemas.routes import ENDPOINT_NAMES, SUBMIT_JOBS

from .errors import (
    APIError,
    AuthenticationError,
    ConcurrencyLimitError,
    QuotaExceededError,
    RateLimitError,
    SchemaMismatch,
    ServerError,
    TransportError,
    ValidationError,
)
from .models import parse_code
from .retry import parse_retry_after

__all__ = ["error_for", "read_answer", "short"]

_MAX_SHOWN = 200


def short(text: str) -> str:
    """`text` on one line, cut to a length a log line or an error message can carry."""
    text = " ".join(text.split())
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def error_for(
    endpoint: str,
    http_status: int,
    code: int | None,
    message: str,
    retry_after: float | None = None,
) -> APIError:
    """The exception for a refusal. 1001/1002 travel in an HTTP 200, so the body code decides
    when the HTTP status is a success, and the HTTP status decides otherwise."""
    text = f"{endpoint}: {message}"
    kwargs: dict[str, Any] = {"http_status": http_status, "code": code}
    if code == 1001:
        return QuotaExceededError(text, **kwargs)
    if code == 1002:
        return ConcurrencyLimitError(text, **kwargs)
    kind = code if 200 <= http_status < 300 and code is not None else http_status
    if kind in (401, 403):
        return AuthenticationError(text, **kwargs)
    if kind in (400, 422):
        return ValidationError(text, **kwargs)
    if kind == 429:
        return RateLimitError(text, retry_after=retry_after, **kwargs)
    if 500 <= kind < 600:
        return ServerError(text, **kwargs)
    return APIError(text, **kwargs)


def read_answer(endpoint: str, response: requests.Response, *, validate: bool) -> dict[str, Any]:
    """The body of a successful answer; the matching `MidjourneyError` for anything else."""
    http_status = response.status_code
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    ok = 200 <= http_status < 300
    if not ok:
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, str) or not message:
            message = short(response.text) or response.reason or f"HTTP {http_status}"
        code = parse_code(body.get("status")) if isinstance(body, dict) else None
        raise error_for(
            endpoint,
            http_status,
            code,
            message,
            parse_retry_after(response.headers.get("Retry-After")),
        )
    if body is None:
        raise TransportError(
            f"{endpoint}: answer is not valid JSON: {short(response.text)!r}",
            http_status=http_status,
        )
    if not isinstance(body, dict):
        raise SchemaMismatch(
            f"{endpoint}: answer is not a JSON object: {short(repr(body))}",
            http_status=http_status,
        )
    if validate:
        _check_schema(endpoint, body, http_status)
    code = parse_code(body.get("status"))
    if code is not None and code != 0:
        message = body.get("message")
        raise error_for(
            endpoint,
            http_status,
            code,
            message if isinstance(message, str) and message else f"status {code}",
        )
    return body


def _check_schema(endpoint: str, body: dict[str, Any], http_status: int) -> None:
    name = "submit_response" if endpoint == ENDPOINT_NAMES[SUBMIT_JOBS] else "job_status_response"
    if name == "job_status_response" and "data" not in body and parse_code(body.get("status")):
        name = "error"  # a refusal in a 200, e.g. a bad key answered with a body code
    try:
        # The consumer layer: what a client may rely on, so extra fields never break it.
        schemas.validate(name, body, layer="consumer")
    except schemas.SchemaViolation as exc:
        raise SchemaMismatch(
            f"{endpoint}: answer does not match schema {name}: {'; '.join(exc.messages)}",
            messages=exc.messages,
            http_status=http_status,
        ) from exc
