"""Bad request bodies are refused in the error shape. The rules are the request schemas
(`submit_request`, `job_status_request`); the answer (HTTP 400, body status 400, a message
naming the field) is a mock [decision], so live is only held to "refused, in the error shape".

A body with no usable prompt can never become a job, so those run on live for free. A body with
a valid prompt and one bad field might be accepted by a lenient server and charged: on live each
holds one job of the budget while it runs, and gives it back when the target refuses it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .checks import body_status
from .expect import assert_rejected
from .target import Target

SAFE_SUBMIT_BODIES: dict[str, Any] = {
    "no-prompt": {"mode": "fast"},
    "prompt-null": {"prompt": None},
    "prompt-number": {"prompt": 42},
    "prompt-list": {"prompt": ["a", "cat"]},
    "prompt-empty": {"prompt": ""},
    "prompt-blank": {"prompt": "   \t "},
    "body-list": [{"prompt": "a cat"}],
    "body-string": "a cat",
    "body-null": None,
}
SAFE_SUBMIT_RAW: dict[str, bytes] = {
    "truncated-json": b'{"prompt": "a cat"',
    "not-json": b"prompt=a+cat",
    "empty-body": b"",
}
RISKY_SUBMIT_BODIES: dict[str, dict[str, Any]] = {
    "mode-unknown": {"prompt": "a red fox", "mode": "warp-speed"},
    "mode-number": {"prompt": "a red fox", "mode": 1},
    "timeout-too-short": {"prompt": "a red fox", "timeout": 299},
    "timeout-too-long": {"prompt": "a red fox", "timeout": 1201},
    "timeout-string": {"prompt": "a red fox", "timeout": "600"},
    "timeout-fraction": {"prompt": "a red fox", "timeout": 600.5},
    "timeout-bool": {"prompt": "a red fox", "timeout": True},
    "hookurl-number": {"prompt": "a red fox", "hookUrl": 12},
}
STATUS_BODIES: dict[str, Any] = {
    "no-taskids": {},
    "taskids-null": {"taskIds": None},
    "taskids-string": {"taskIds": "VUtF55IGrp08Pi_GPf3hk"},
    "taskids-object": {"taskIds": {"id": "VUtF55IGrp08Pi_GPf3hk"}},
    "taskids-numbers": {"taskIds": [1, 2]},
    "taskids-empty-id": {"taskIds": [""]},
    "body-list": ["VUtF55IGrp08Pi_GPf3hk"],
}
STATUS_RAW: dict[str, bytes] = {"truncated-json": b'{"taskIds": [', "empty-body": b""}


@pytest.mark.parametrize("case", sorted(SAFE_SUBMIT_BODIES))
def test_submit_refuses_a_body_without_a_usable_prompt(target: Target, case: str) -> None:
    response = target.post_submit(SAFE_SUBMIT_BODIES[case])
    assert_rejected(target, response, mock_http=400)


@pytest.mark.parametrize("case", sorted(SAFE_SUBMIT_RAW))
def test_submit_refuses_a_body_that_is_not_json(target: Target, case: str) -> None:
    response = target.post_submit(data=SAFE_SUBMIT_RAW[case])
    assert_rejected(target, response, mock_http=400)


@pytest.mark.parametrize("case", sorted(RISKY_SUBMIT_BODIES))
def test_submit_refuses_a_bad_field(target: Target, case: str) -> None:
    with target.budget.reserve() as reservation:
        response = target.post_submit(RISKY_SUBMIT_BODIES[case])
        accepted = response.status_code == 200 and body_status(response.json()) == 0
        reservation.used = accepted
    assert_rejected(target, response, mock_http=400)


@pytest.mark.parametrize("case", sorted(STATUS_BODIES))
def test_job_status_refuses_a_bad_body(target: Target, case: str) -> None:
    response = target.post_status(STATUS_BODIES[case])
    assert_rejected(target, response, mock_http=400)


@pytest.mark.parametrize("case", sorted(STATUS_RAW))
def test_job_status_refuses_a_body_that_is_not_json(target: Target, case: str) -> None:
    response = target.post_status(data=STATUS_RAW[case])
    assert_rejected(target, response, mock_http=400)


# -- the mock's decisions where the provider is silent ---------------------------------------


@pytest.mark.mock_decision
@pytest.mark.parametrize("mode", ["relax", "turbo"])
def test_undocumented_modes_are_refused(target: Target, mode: str) -> None:
    response = target.post_submit({"prompt": "a red fox", "mode": mode})
    assert_rejected(target, response, mock_http=400)


@pytest.mark.mock_decision
def test_more_than_100_ids_are_refused(target: Target) -> None:
    ids = [f"unknown-id-{i:04d}" for i in range(101)]
    assert_rejected(target, target.post_status({"taskIds": ids}), mock_http=400)


@pytest.mark.mock_decision
def test_an_oversized_prompt_is_refused(target: Target) -> None:
    response = target.post_submit({"prompt": "a red fox " * 801})
    assert_rejected(target, response, mock_http=400)


@pytest.mark.mock_decision
def test_a_non_json_content_type_is_refused(target: Target) -> None:
    response = target.post_submit(
        data=json.dumps({"prompt": "a red fox"}).encode(), headers={"Content-Type": "text/plain"}
    )
    assert_rejected(target, response, mock_http=415)


@pytest.mark.mock_decision
def test_unknown_routes_and_methods_answer_in_the_error_shape(target: Target) -> None:
    unknown = target.post("/midjourney/v1/upscale", {"taskId": "x"})
    assert_rejected(target, unknown, mock_http=404)
    wrong_method = target.session.get(
        target.base_url + "/midjourney/v1/job-status", headers={"API-KEY": target.api_key}
    )
    assert_rejected(target, wrong_method, mock_http=405)
    too_big = target.post_submit(data=json.dumps({"prompt": "x" * 70_000}).encode())
    assert_rejected(target, too_big, mock_http=413)


@pytest.mark.mock_decision
def test_unknown_request_fields_are_ignored(target: Target) -> None:
    task_id, body = target.submit("a red fox", seed_value=3, extra={"nested": True})
    assert body_status(body) == 0 and task_id
