"""Every way the mock refuses a request, as one exception family.

The backend raises these without knowing about HTTP; the HTTP layer renders each one as the API's
own error body `{"status": <code>, "message": ..., "data": null}` with its HTTP status. Keeping the
(HTTP status, body status) pairs here means CONTRACT.md's error table lives in exactly one place.
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "ConcurrencyLimit",
    "Conflict",
    "Forbidden",
    "InvalidRequest",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "QuotaNotEnough",
    "Unauthorized",
    "UnsupportedMediaType",
]


class ApiError(Exception):
    """An error the API answers in its JSON error shape."""

    http_status: int = 400
    body_status: int = 400
    default_message: str = "bad request"

    def __init__(self, message: str | None = None, *, status: int | None = None) -> None:
        """`status` sets the HTTP and body status at once, for errors without a class of their
        own (an injected 503, an HTTP error raised by Werkzeug or waitress, a 500)."""
        self.message = message or self.default_message
        if status is not None:
            self.http_status = self.body_status = status
        super().__init__(self.message)


class InvalidRequest(ApiError):
    """[decision] Undocumented: bad bodies are a 400 naming the field."""

    http_status = 400
    body_status = 400
    default_message = "invalid request"


class Unauthorized(ApiError):
    """[decision] Undocumented: missing or unknown API-KEY is a 401."""

    http_status = 401
    body_status = 401
    default_message = "invalid API-KEY"


class Forbidden(ApiError):
    """[decision] A control request from a foreign Host or Origin (see `web.guard`)."""

    http_status = 403
    body_status = 403
    default_message = "forbidden"


class Conflict(ApiError):
    """[decision] The request is well formed but the state does not allow it (a task that
    already finished, a clock that is not manual)."""

    http_status = 409
    body_status = 409
    default_message = "conflict"


class NotFound(ApiError):
    http_status = 404
    body_status = 404
    default_message = "not found"


class MethodNotAllowed(ApiError):
    http_status = 405
    body_status = 405
    default_message = "method not allowed"


class PayloadTooLarge(ApiError):
    http_status = 413
    body_status = 413
    default_message = "request body too large"


class UnsupportedMediaType(ApiError):
    http_status = 415
    body_status = 415
    default_message = "Content-Type must be application/json"


class QuotaNotEnough(ApiError):
    """[doc] 1001, listed under the 200 response, so it travels with HTTP 200."""

    http_status = 200
    body_status = 1001
    default_message = "quota not enough"


class ConcurrencyLimit(ApiError):
    """[doc] 1002: at most N tasks in progress per account; HTTP 200 like 1001."""

    http_status = 200
    body_status = 1002
    default_message = "concurrency limit exceeded"
