"""Constants and assertions shared by the unit tests."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from werkzeug.test import TestResponse

import schemas

KEY = "test-key"
OTHER_KEY = "other-key"
SUBMIT = "/midjourney/v1/submit-jobs"
STATUS = "/midjourney/v1/job-status"

Post = Callable[..., TestResponse]


# `mj-mock serve` in a child process, as a user starts it (the console script may be a shim).
SERVE = [sys.executable, "-c", "from mock_server.cli import main; main()", "serve"]


def submit_ok(post: Post, prompt: str = "a cute kitten", **fields: Any) -> str:
    response = post(SUBMIT, {"prompt": prompt, **fields})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    schemas.validate("submit_response", body)
    assert body["status"] in (0, "0"), body
    task_id: str = body["data"]["taskId"]
    return task_id


def status_items(post: Post, *task_ids: str, key: str = KEY) -> list[dict[str, Any]]:
    response = post(STATUS, {"taskIds": list(task_ids)}, key=key)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    schemas.validate("job_status_response", body)
    items: list[dict[str, Any]] = body["data"]
    return items


def assert_error(response: TestResponse, http_status: int, body_status: int, *words: str) -> None:
    """An error in the API's own shape, whose message mentions each of `words`."""
    assert response.status_code == http_status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    schemas.validate("error", body)
    assert int(body["status"]) == body_status
    for word in words:
        assert word in body["message"], body["message"]
