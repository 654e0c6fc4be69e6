"""Assertions shared by the suite's tests.

Where CONTRACT.md documents a behaviour, every target is held to it. Where it records a mock
[decision] (an HTTP 401 for a bad key, a 400 for a bad body), live is held only to what any
implementation must do, refuse in the error shape, and the mock targets to the exact decision.
"""

from __future__ import annotations

from typing import Any

import requests

import schemas

from .checks import body_status
from .target import Target

__all__ = ["assert_rejected", "assert_success_submit", "json_body"]


def json_body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise AssertionError(
            f"HTTP {response.status_code} answer is not JSON: {response.text[:200]!r}"
        ) from None


def assert_rejected(
    target: Target, response: requests.Response, *, mock_http: int, mock_code: int | None = None
) -> dict[str, Any]:
    """The request was refused, in the documented error shape (`schemas/error`).

    Any target: a non-2xx HTTP status or a non-zero body status, and an error body. A mock
    target: exactly HTTP `mock_http` with body status `mock_code` (default: the same number).
    """
    body = json_body(response)
    http_ok = 200 <= response.status_code < 300
    code = body_status(body)
    assert not (http_ok and code in (0, None)), (
        f"the target accepted a request it must refuse: HTTP {response.status_code} {body!r:.300}"
    )
    schemas.validate("error", body)
    if target.is_mock:
        expected_code = mock_http if mock_code is None else mock_code
        assert (response.status_code, code) == (mock_http, expected_code), body
    result: dict[str, Any] = body
    return result


def assert_success_submit(body: Any) -> str:
    """[doc] `{"status": 0, "message": "success", "data": {"taskId": ...}}` (0 or "0")."""
    schemas.validate("submit_response", body)
    assert body_status(body) == 0, body
    task_id: str = body["data"]["taskId"]
    return task_id
