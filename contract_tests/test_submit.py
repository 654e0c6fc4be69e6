"""submit-jobs: the success answer [doc], every documented request field [doc]."""

from __future__ import annotations

import re

import pytest

from .expect import assert_success_submit
from .observe import observe
from .target import FinishedTask, Target


@pytest.mark.doc
def test_submit_answers_success_with_a_task_id(
    target: Target, completed_task: FinishedTask
) -> None:
    """[doc] `{"status": 0, "message": "success", "data": {"taskId": "..."}}`; the features
    page shows it without `message`, so that is observed, not required."""
    task_id = assert_success_submit(target, completed_task.submit_body)
    assert task_id == completed_task.task_id
    message = completed_task.submit_body.get("message")
    observe(target, "submit answers carry message", isinstance(message, str), True)


@pytest.mark.doc
def test_the_body_status_is_zero_as_a_number_or_a_numeric_string(
    target: Target, completed_task: FinishedTask
) -> None:
    """[doc] the API reference writes the success status as 0, the quickstart as "0": either
    is the contract. Which one the server sends is the mock's `status_as_string` switch."""
    status = completed_task.submit_body.get("status")
    assert (status == 0 and not isinstance(status, bool)) or status == "0", (
        f'submit-jobs success status is {status!r}, not 0 or "0"'
    )
    kind = "string" if isinstance(status, str) else "integer"
    observe(target, "envelope status type", kind, "integer")


@pytest.mark.doc
def test_each_submit_gets_its_own_task_id(
    completed_task: FinishedTask, failed_task: FinishedTask
) -> None:
    assert completed_task.task_id != failed_task.task_id


@pytest.mark.doc
@pytest.mark.spends_jobs
def test_submit_accepts_every_documented_field(target: Target) -> None:
    """[doc] prompt, mode (fast | relaxed), hookUrl, timeout (300-1200): all at once."""
    hook = target.live_hook_site.url if target.live_hook_site is not None else None
    task_id, body = target.submit(
        "a paper boat on calm sea --ar 3:2",
        mode="relaxed",
        timeout=1200,
        **({"hookUrl": hook} if hook else {}),
    )
    assert assert_success_submit(target, body) == task_id
    # Polled once, not waited for: a relaxed job may take many minutes on the real service.
    items = target.statuses([task_id])
    assert task_id in [item["taskId"] for item in items]


@pytest.mark.decision("task-id-format")
def test_mock_task_ids_look_like_the_documented_ones(completed_task: FinishedTask) -> None:
    """[doc examples] 21 characters of [A-Za-z0-9_-]; the mock follows them."""
    assert re.fullmatch(r"[A-Za-z0-9_-]{21}", completed_task.task_id)
