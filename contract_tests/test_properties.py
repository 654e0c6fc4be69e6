"""Property tests: Hypothesis generates prompts with random parameters and malformed bodies.

Tests that only send invalid requests or poll spend no jobs. Properties of a [decision] (what is
refused, what is left out) run on the mocks; on live their cases are observed by the
example-based tests. Tests that
submit spend one job per example: on live they run at most as many examples as the budget has
left (and at most three), and skip when it is gone.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .checks import expected_size
from .expect import assert_rejected
from .profiles import suite_settings
from .strategies import (
    bad_personalize_prompts,
    malformed_status_bodies,
    out_of_range_prompts,
    risky_submit_bodies,
    safe_submit_bodies,
    unknown_task_ids,
    valid_prompts,
)
from .target import FinishedTask, Target

pytestmark = pytest.mark.properties

LIVE_MAX_EXAMPLES = 3


def _examples_that_fit(target: Target, wanted: int) -> int:
    if not target.is_live:
        return wanted
    fit = min(wanted, LIVE_MAX_EXAMPLES, target.budget.remaining())
    if fit == 0:
        target.budget.skip()
    return fit


# -- free on every target ----------------------------------------------------------------------


@pytest.mark.decision("bad-submit-body-refused")
def test_submit_refuses_any_body_without_a_usable_prompt(target: Target) -> None:
    @suite_settings(scale=2)
    @given(body=safe_submit_bodies)
    def check(body: bytes) -> None:
        assert_rejected(target, target.post_submit(data=body), mock_http=400)

    check()
    if target.control is not None:
        assert target.control.tasks == []


@pytest.mark.decision("bad-job-status-body-refused")
def test_job_status_refuses_any_malformed_body(target: Target) -> None:
    @suite_settings(scale=2)
    @given(body=malformed_status_bodies)
    def check(body: bytes) -> None:
        assert_rejected(target, target.post_status(data=body), mock_http=400)

    check()


@pytest.mark.decision("unknown-ids")
def test_unknown_ids_are_always_left_out(target: Target) -> None:
    @suite_settings()
    @given(ids=st.lists(unknown_task_ids, min_size=1, max_size=20))
    def check(ids: list[str]) -> None:
        assert target.statuses(ids) == []

    check()


@pytest.mark.decision("item-order")
def test_known_ids_come_back_once_in_request_order(
    target: Target, completed_task: FinishedTask, failed_task: FinishedTask
) -> None:
    known = [completed_task.task_id, failed_task.task_id]
    items = {completed_task.task_id: completed_task.item, failed_task.task_id: failed_task.item}

    @suite_settings()
    @given(ids=st.lists(st.sampled_from(known) | unknown_task_ids, min_size=1, max_size=12))
    def check(ids: list[str]) -> None:
        expected = [items[i] for i in dict.fromkeys(ids) if i in items]
        assert target.statuses(ids) == expected

    check()


@pytest.mark.doc
def test_known_ids_are_reported_whatever_else_is_asked(
    target: Target, completed_task: FinishedTask, failed_task: FinishedTask
) -> None:
    """[doc] job-status reports the caller's tasks it is asked about, with their status; order,
    repeats and unknown ids are the server's own business."""
    status_of = {completed_task.task_id: 1, failed_task.task_id: 2}

    @suite_settings()
    @given(ids=st.lists(st.sampled_from(sorted(status_of)) | unknown_task_ids, max_size=12))
    def check(ids: list[str]) -> None:
        reported = {item.get("taskId"): item for item in target.statuses(ids)}
        for task_id in set(ids) & set(status_of):
            assert task_id in reported, f"{task_id} was asked about and not reported"
            assert int(reported[task_id]["status"]) == status_of[task_id]

    check()


# -- mock targets: a lenient server could charge for these -------------------------------------


@pytest.mark.needs_control
@pytest.mark.decision("bad-submit-field-refused")
def test_submit_refuses_a_valid_prompt_with_one_bad_field(target: Target) -> None:
    control = target.control
    assert control is not None

    @suite_settings(scale=2)
    @given(body=risky_submit_bodies)
    def check(body: dict[str, object]) -> None:
        assert_rejected(target, target.post_submit(body), mock_http=400)

    check()
    assert control.tasks == [], "a refused submit created a task"


# -- these submit: one job per example ---------------------------------------------------------


@pytest.mark.doc
@pytest.mark.spends_jobs
def test_prompts_with_valid_parameters_complete_at_their_grid_size(target: Target) -> None:
    @suite_settings(max_examples=_examples_that_fit(target, 12))
    @given(prompt=valid_prompts())
    def check(prompt: str) -> None:
        task = target.run_task(prompt)
        assert task.status == 1, task.item
        meta = task.item["meta"]
        assert (meta["width"], meta["height"]) == expected_size(prompt), prompt
        assert task.item["prompt"] == prompt

    check()


@pytest.mark.doc
@pytest.mark.spends_jobs
def test_an_unknown_personalize_code_fails_with_a_reason(target: Target) -> None:
    """[doc] the failReason sample is a bad `--p` code: such a prompt is accepted, then fails."""

    @suite_settings(max_examples=_examples_that_fit(target, 6))
    @given(prompt=bad_personalize_prompts())
    def check(prompt: str) -> None:
        task = target.run_task(prompt)
        assert task.status == 2, task.item
        assert task.item["failReason"].strip()

    check()


@pytest.mark.decision("rejected-parameters-fail-later")
def test_out_of_range_parameter_values_fail_with_a_reason(target: Target) -> None:
    @suite_settings(max_examples=8)
    @given(prompt=out_of_range_prompts())
    def check(prompt: str) -> None:
        task = target.run_task(prompt)
        assert task.status == 2, task.item
        assert task.item["failReason"].strip()

    check()
