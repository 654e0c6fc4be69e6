"""submit-jobs: the success answer [doc], every documented request field [doc]."""

from __future__ import annotations

import re

import pytest

from .expect import assert_success_submit
from .target import FinishedTask, Target


def test_submit_answers_success_with_a_task_id(completed_task: FinishedTask) -> None:
    """[doc] `{"status": 0, "message": "success", "data": {"taskId": "..."}}`."""
    task_id = assert_success_submit(completed_task.submit_body)
    assert task_id == completed_task.task_id
    assert isinstance(completed_task.submit_body.get("message"), str)


def test_each_submit_gets_its_own_task_id(
    completed_task: FinishedTask, failed_task: FinishedTask
) -> None:
    assert completed_task.task_id != failed_task.task_id


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
    assert assert_success_submit(body) == task_id
    # Polled once, not waited for: a relaxed job may take many minutes on the real service.
    items = target.statuses([task_id])
    assert [item["taskId"] for item in items] == [task_id]


@pytest.mark.mock_decision
def test_mock_task_ids_look_like_the_documented_ones(completed_task: FinishedTask) -> None:
    """[doc examples] 21 characters of [A-Za-z0-9_-]; the mock follows them, as its status is
    the integer 0 by default [decision]."""
    assert re.fullmatch(r"[A-Za-z0-9_-]{21}", completed_task.task_id)
    assert completed_task.submit_body["status"] == 0
