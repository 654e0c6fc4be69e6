"""The lifecycle: 0 (in progress) becomes 1 (completed) or 2 (failed), and never changes again.

Every job-status answer of the run is also checked by the target itself (see `answers.py`): a
status that moves back fails whichever test saw it. These tests make sure it is looked at.
"""

from __future__ import annotations

import uuid

import pytest

from mock_server.testing.controller import ControlError, MockController

from .answers import StatusTracker
from .checks import GRID_SIZES, expected_size, image_url_problems
from .observe import observe
from .target import FinishedTask, Target

DAY_MS = 24 * 3600 * 1000


def _monotonic(observed: list[int]) -> bool:
    """0, 0, ..., then one terminal status repeated: never back, never sideways."""
    finished = [s for s in observed if s != 0]
    first = observed.index(finished[0]) if finished else len(observed)
    return all(s == 0 for s in observed[:first]) and len(set(finished)) <= 1


@pytest.mark.doc
def test_a_completed_task_has_the_documented_fields(
    target: Target, completed_task: FinishedTask
) -> None:
    """[doc] jobId (a UUID), four PNGs under it, the prompt, mjPrompt, createdAt and meta."""
    item = completed_task.item
    assert completed_task.status == 1, item
    assert str(uuid.UUID(item["jobId"])) == item["jobId"]
    assert len(item["images"]) == 4
    assert image_url_problems(item) == []
    assert item["prompt"] == completed_task.prompt
    assert isinstance(item["mjPrompt"], str) and item["mjPrompt"].strip()
    assert abs(item["createdAt"] - target.now_millis()) < DAY_MS


@pytest.mark.doc
def test_a_completed_task_has_the_grid_size_of_its_aspect_ratio(
    completed_task: FinishedTask,
) -> None:
    """[doc] the sample `--niji 6 --ar 9:16` is 816x1456."""
    meta = completed_task.item["meta"]
    assert (meta["width"], meta["height"]) == (816, 1456) == expected_size(completed_task.prompt)


@pytest.mark.doc
def test_a_finished_status_never_moves_back(
    target: Target, completed_task: FinishedTask, failed_task: FinishedTask
) -> None:
    for task in (completed_task, failed_task):
        assert task.observed and _monotonic(task.observed), task.observed
    # Poll again, later: still finished, still the same result (in whatever order it comes).
    stable = StatusTracker.STABLE
    for _ in range(2):
        target.pause()
        items = target.statuses([completed_task.task_id, failed_task.task_id])
        by_id = {item.get("taskId"): item for item in items}
        for task in (completed_task, failed_task):
            again = by_id.get(task.task_id)
            assert again is not None, f"task {task.task_id} is no longer reported"
            assert int(again["status"]) == task.status, (
                f"task {task.task_id} went from status {task.status} to {again['status']}"
            )
            assert {k: again.get(k) for k in stable} == {k: task.item.get(k) for k in stable}


@pytest.mark.doc
def test_a_failed_task_says_why(target: Target, failed_task: FinishedTask) -> None:
    """[doc] a bad `--p` code fails later with a failReason (the docs' sample is `123123`)."""
    item = failed_task.item
    assert failed_task.status == 2, item
    assert isinstance(item["failReason"], str) and item["failReason"].strip()
    if "createdAt" in item:
        assert abs(item["createdAt"] - target.now_millis()) < DAY_MS
    observe(target, "failed items carry createdAt", "createdAt" in item, True)
    extra = sorted(set(item) - {"taskId", "status", "createdAt", "failReason"})
    observe(target, "other fields on failed items", extra, [])


@pytest.mark.doc
@pytest.mark.spends_jobs
@pytest.mark.parametrize(
    "ratio", [f"{w}:{h}" for (w, h) in GRID_SIZES if (w, h) != (9, 16)] + ["none"]
)
def test_every_published_aspect_ratio_has_its_grid_size(target: Target, ratio: str) -> None:
    prompt = "a serene mountain lake at dawn" + ("" if ratio == "none" else f" --ar {ratio}")
    task = target.run_task(prompt)
    assert task.status == 1, task.item
    meta = task.item["meta"]
    assert (meta["width"], meta["height"]) == expected_size(prompt)


# -- with control of the clock and the outcome --------------------------------------------


@pytest.mark.needs_control
@pytest.mark.decision("task-durations")
def test_a_task_is_in_progress_until_its_time_comes(
    target: Target, control: MockController
) -> None:
    task_id, _ = target.submit("a futuristic city at sunset --ar 16:9 --niji 7")
    assert int(target.item(task_id)["status"]) == 0
    control.advance(1)
    assert int(target.item(task_id)["status"]) == 0
    control.advance(120)
    assert int(target.item(task_id)["status"]) == 1
    control.advance(3600)
    assert int(target.item(task_id)["status"]) == 1


@pytest.mark.needs_control
@pytest.mark.decision("forced-outcomes")
def test_forced_outcomes_show_in_job_status(target: Target, control: MockController) -> None:
    done, _ = target.submit("A cute kitten")
    failed, _ = target.submit("A cute kitten")
    control.complete(done)
    control.fail(failed, "Job action restricted")
    items = target.statuses([done, failed])
    assert [int(i["status"]) for i in items] == [1, 2]
    assert items[1]["failReason"] == "Job action restricted"
    # [decision] a finished task cannot be forced again: a status never moves back.
    with pytest.raises(ControlError):
        control.fail(done, "too late")
    with pytest.raises(ControlError):
        control.complete(failed)
    assert target.statuses([done, failed]) == items


@pytest.mark.needs_control
@pytest.mark.decision("rejected-parameters-fail-later")
@pytest.mark.parametrize(
    "bad", ["--ar 0:1", "--chaos 101", "--v 99", "--stylize 5000", "--ar 16:9 --ar 1:1"]
)
def test_a_rejected_parameter_fails_later(target: Target, bad: str) -> None:
    """[decision] values Midjourney rejects are accepted at submit and fail later."""
    task = target.run_task(f"a red fox {bad}")
    assert task.status == 2 and task.item["failReason"].strip()


@pytest.mark.needs_control
@pytest.mark.decision("refund-on-failure")
def test_a_failed_task_is_refunded(target: Target, control: MockController) -> None:
    before = control.quota()
    task = target.run_task("a red fox --p 123123")
    assert task.status == 2
    assert control.quota() == before, "a failed task was not refunded"
