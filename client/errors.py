"""Every way a call can go wrong, as one exception family rooted at `MidjourneyError`.

Callers branch on *what to do next*, so the classes follow that: fix the key, top up, slow down,
retry later, fix the prompt. Each error carries the HTTP status and the body's `status` code
because this API reports some refusals (1001, 1002) inside an HTTP 200, and a log line that shows
only one of the two hides the cause.

The three ways a *wait* ends without a result (`TaskFailed`, `TaskNotFound`, `WaitTimeout`) are
`MidjourneyError`s too, but carry the tasks the wait saw, so they live beside the waiting in
`waiting.py`: this module stays below `models.py`, which raises `SchemaMismatch`.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "APIError",
    "AuthenticationError",
    "ConcurrencyLimitError",
    "MidjourneyError",
    "QuotaExceededError",
    "RateLimitError",
    "SchemaMismatch",
    "ServerError",
    "TransportError",
    "ValidationError",
    "is_transient",
]


class MidjourneyError(Exception):
    """Base of every error the client raises, so one `except` covers the whole API."""

    def __init__(
        self, message: str, *, http_status: int | None = None, code: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code

    def __str__(self) -> str:
        where = [f"HTTP {self.http_status}"] if self.http_status is not None else []
        if self.code is not None and self.code != self.http_status:
            where.append(f"code {self.code}")
        return f"{self.message} ({', '.join(where)})" if where else self.message


class APIError(MidjourneyError):
    """The API answered, and said no; subclasses name the refusals a caller can act on.

    Raised as is for answers with no better class (404 from a wrong base URL, 413, an unknown
    body code), so nothing the server says is ever mistaken for success.
    """


class AuthenticationError(APIError):
    """HTTP 401/403, or no key configured at all: retrying cannot help until the key changes."""


class QuotaExceededError(APIError):
    """Body status 1001: the account cannot pay for this task; top up or use relaxed mode."""


class ConcurrencyLimitError(APIError):
    """Body status 1002: 10 tasks already in progress; submit again once one finishes."""


class ValidationError(APIError):
    """HTTP 400: the server rejected the request body; the message names the field."""


class RateLimitError(APIError):
    """HTTP 429. `retry_after` is the server's Retry-After in seconds, when it sent one."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, http_status=http_status, code=code)
        self.retry_after = retry_after


class ServerError(APIError):
    """HTTP 5xx: the service's fault, usually transient."""


class TransportError(MidjourneyError):
    """No usable answer: connection refused or dropped, timeout, or a body that is not JSON.

    For a submit this means *unknown outcome*: the task may or may not exist.
    """

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: int | None = None,
        transient: bool = True,
    ) -> None:
        super().__init__(message, http_status=http_status, code=code)
        # False for mistakes that fail the same way every time (a base URL with no scheme).
        self.transient = transient


class SchemaMismatch(MidjourneyError):
    """A JSON body that is not the documented shape; `messages` lists each difference."""

    def __init__(
        self,
        message: str,
        *,
        messages: Sequence[str] = (),
        http_status: int | None = None,
        code: int | None = None,
    ) -> None:
        super().__init__(message, http_status=http_status, code=code)
        self.messages = list(messages) or [message]


def is_transient(error: MidjourneyError) -> bool:
    """Worth asking again later: the same request may well succeed."""
    if isinstance(error, TransportError):
        return error.transient
    return isinstance(error, (RateLimitError, ServerError))
