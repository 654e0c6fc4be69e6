"""Assertions shared by the suite's tests.

Where CONTRACT.md documents a behaviour, every target is held to it. Where it records a mock
[decision] (an HTTP 401 for a bad key, a 400 for a bad body), the mock targets are held to the
exact decision and live's answer is an observation (`observe`).
"""

from __future__ import annotations

from typing import Any

import requests

import schemas

from .checks import body_status
from .observe import observe
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
    target: Target,
    response: requests.Response,
    *,
    mock_http: int,
    mock_code: int | None = None,
    answer: str = "refusal",
) -> dict[str, Any]:
    """The request was refused: a non-2xx HTTP status or a non-zero body status [doc: 1001,
    1002 come as body codes], in the error shape of the target's schema layer.

    How it is refused is a [decision]: a mock answers exactly HTTP `mock_http` with body status
    `mock_code` (default: the same number); on live the answer is observed under the name
    `answer` ("bad key answer", ...) beside that default.
    """
    body = json_body(response)
    http_ok = 200 <= response.status_code < 300
    code = body_status(body)
    assert not (http_ok and code in (0, None)), (
        f"the target accepted a request it must refuse: HTTP {response.status_code} {_short(body)}"
    )
    schemas.validate("error", body, layer=target.schema_layer)
    expected_code = mock_http if mock_code is None else mock_code
    seen = f"HTTP {response.status_code}, body status {code}"
    observe(target, answer, seen, f"HTTP {mock_http}, body status {expected_code}")
    result: dict[str, Any] = body
    return result


def _short(body: object) -> str:
    text = repr(body)
    return text if len(text) <= 200 else text[:197] + "..."


def assert_success_submit(target: Target, body: Any) -> str:
    """[doc] `{"status": 0, "data": {"taskId": ...}}`, status 0 or "0"; `message` optional [doc:
    the features page], so its presence is an observation."""
    schemas.validate("submit_response", body, layer=target.schema_layer)
    assert body_status(body) == 0, body
    task_id: str = body["data"]["taskId"]
    assert isinstance(task_id, str) and task_id
    return task_id
