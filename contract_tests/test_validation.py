"""Bad request bodies. What the provider does with one is undocumented [decision]: the mock
refuses it at once (HTTP 400, body status 400, a message naming the field, by the request
schemas `submit_request` and `job_status_request`). The real service may refuse it too, or
accept it and fail the task later, or clamp a value: on live every case here is an observation.

A lenient server might accept a submit and charge for it, so on live each submit here holds one
job of the budget while it runs and keeps it only when the target took the job.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from schemas.routes import JOB_STATUS, PROVIDER_PREFIX

from .checks import body_status
from .expect import assert_rejected
from .target import Target, accepted

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
    "mode-unknown": {"prompt": "A cute kitten", "mode": "warp-speed"},
    "mode-number": {"prompt": "A cute kitten", "mode": 1},
    "timeout-too-short": {"prompt": "A cute kitten", "timeout": 299},
    "timeout-too-long": {"prompt": "A cute kitten", "timeout": 1201},
    "timeout-string": {"prompt": "A cute kitten", "timeout": "600"},
    "timeout-fraction": {"prompt": "A cute kitten", "timeout": 600.5},
    "timeout-bool": {"prompt": "A cute kitten", "timeout": True},
    "hookurl-number": {"prompt": "A cute kitten", "hookUrl": 12},
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


def _observe_answer(target: Target, case: str, response: requests.Response) -> None:
    """On live, what became of this bad request; on a mock, the 400 it must be."""
    if target.is_live and accepted(response):
        target.observations.add(f"bad request {case}", "accepted", "refused with HTTP 400")
        return
    assert_rejected(target, response, mock_http=400, answer=f"bad request {case}")


@pytest.mark.decision("bad-submit-body-refused")
@pytest.mark.parametrize("case", sorted(SAFE_SUBMIT_BODIES))
def test_submit_refuses_a_body_without_a_usable_prompt(target: Target, case: str) -> None:
    _observe_answer(target, case, target.try_submit(SAFE_SUBMIT_BODIES[case]))


@pytest.mark.decision("bad-submit-body-refused")
@pytest.mark.parametrize("case", sorted(SAFE_SUBMIT_RAW))
def test_submit_refuses_a_body_that_is_not_json(target: Target, case: str) -> None:
    _observe_answer(target, case, target.try_submit(data=SAFE_SUBMIT_RAW[case]))


@pytest.mark.decision("bad-submit-field-refused")
@pytest.mark.parametrize("case", sorted(RISKY_SUBMIT_BODIES))
def test_submit_refuses_a_bad_field(target: Target, case: str) -> None:
    _observe_answer(target, case, target.try_submit(RISKY_SUBMIT_BODIES[case]))


@pytest.mark.decision("bad-job-status-body-refused")
@pytest.mark.parametrize("case", sorted(STATUS_BODIES))
def test_job_status_refuses_a_bad_body(target: Target, case: str) -> None:
    _observe_answer(target, case, target.post_status(STATUS_BODIES[case]))


@pytest.mark.decision("bad-job-status-body-refused")
@pytest.mark.parametrize("case", sorted(STATUS_RAW))
def test_job_status_refuses_a_body_that_is_not_json(target: Target, case: str) -> None:
    _observe_answer(target, case, target.post_status(data=STATUS_RAW[case]))


# -- the mock's decisions where the provider is silent ---------------------------------------


@pytest.mark.decision("undocumented-modes-refused")
@pytest.mark.parametrize("mode", ["relax", "turbo"])
def test_undocumented_modes_are_refused(target: Target, mode: str) -> None:
    response = target.try_submit({"prompt": "A cute kitten", "mode": mode})
    assert_rejected(target, response, mock_http=400, answer=f"mode {mode}")


@pytest.mark.decision("max-task-ids")
def test_more_than_100_ids_are_refused(target: Target) -> None:
    ids = [f"unknown-id-{i:04d}" for i in range(101)]
    response = target.post_status({"taskIds": ids})
    assert_rejected(target, response, mock_http=400, answer="more than 100 ids")


@pytest.mark.decision("max-prompt-length")
def test_an_oversized_prompt_is_refused(target: Target) -> None:
    response = target.try_submit({"prompt": "a red fox " * 801})
    assert_rejected(target, response, mock_http=400, answer="oversized prompt")


@pytest.mark.decision("json-content-type-required")
def test_a_non_json_content_type_is_refused(target: Target) -> None:
    response = target.try_submit(
        data=json.dumps({"prompt": "A cute kitten"}).encode(),
        headers={"Content-Type": "text/plain"},
    )
    assert_rejected(target, response, mock_http=415, answer="text/plain body")


@pytest.mark.decision("unknown-routes-in-error-shape")
def test_unknown_routes_and_methods_answer_in_the_error_shape(target: Target) -> None:
    unknown = target.post(PROVIDER_PREFIX + "/upscale", {"taskId": "x"})
    assert_rejected(target, unknown, mock_http=404, answer="unknown route")
    wrong_method = target.session.get(
        target.base_url + JOB_STATUS, headers={"API-KEY": target.api_key}
    )
    assert_rejected(target, wrong_method, mock_http=405, answer="wrong method")
    too_big = target.try_submit(data=json.dumps({"prompt": "x" * 70_000}).encode())
    assert_rejected(target, too_big, mock_http=413, answer="oversized body")


@pytest.mark.decision("unknown-request-fields-ignored")
def test_unknown_request_fields_are_ignored(target: Target) -> None:
    task_id, body = target.submit("A cute kitten", seed_value=3, extra={"nested": True})
    assert body_status(body) == 0 and task_id
