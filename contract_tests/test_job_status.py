"""job-status: unknown, duplicate and foreign ids, and the order of the items.

CONTRACT.md: items follow the order of `taskIds`, a repeated id is reported once, and ids that
are unknown or belong to another key are left out. The docs are silent there, but clients rely on
it (the reference client waits for an id that is left out, then calls it unknown), so every
target is held to it. The 100-id cap and the empty list are mock decisions only.
"""

from __future__ import annotations

import secrets

import pytest

from .target import FinishedTask, Target


def _unknown_id() -> str:
    return "zz" + secrets.token_urlsafe(15)[:19]


def test_unknown_ids_are_left_out(target: Target) -> None:
    assert target.statuses([_unknown_id(), _unknown_id()]) == []


def test_items_follow_the_request_order(
    target: Target, completed_task: FinishedTask, failed_task: FinishedTask
) -> None:
    done, failed = completed_task.task_id, failed_task.task_id
    assert [i["taskId"] for i in target.statuses([done, failed])] == [done, failed]
    assert [i["taskId"] for i in target.statuses([failed, done])] == [failed, done]


def test_a_repeated_id_is_reported_once(
    target: Target, completed_task: FinishedTask, failed_task: FinishedTask
) -> None:
    done, failed = completed_task.task_id, failed_task.task_id
    ids = [failed, _unknown_id(), done, failed, done, done]
    assert [i["taskId"] for i in target.statuses(ids)] == [failed, done]


def test_another_keys_tasks_are_invisible(
    target: Target, completed_task: FinishedTask, second_key: str
) -> None:
    """A key never sees another key's tasks, not even that they exist."""
    assert target.statuses([completed_task.task_id], key=second_key) == []
    # ...and the owner still does.
    assert target.item(completed_task.task_id)["taskId"] == completed_task.task_id


@pytest.mark.needs_control
def test_another_keys_own_tasks_stay_its_own(target: Target, second_key: str) -> None:
    mine, _ = target.submit("a red fox")
    theirs, _ = target.submit("a red fox", key=second_key)
    assert [i["taskId"] for i in target.statuses([mine, theirs])] == [mine]
    assert [i["taskId"] for i in target.statuses([mine, theirs], key=second_key)] == [theirs]


@pytest.mark.needs_control
def test_a_task_in_progress_has_only_its_id_and_status(target: Target) -> None:
    """[doc] status 0: `{"taskId": ..., "status": 0}` (the schema says nothing more)."""
    task_id, _ = target.submit("a red fox --ar 16:9")
    item = target.item(task_id)
    assert set(item) == {"taskId", "status"} and int(item["status"]) == 0


@pytest.mark.mock_decision
def test_an_empty_list_gives_empty_data(target: Target) -> None:
    response = target.post_status({"taskIds": []})
    assert response.status_code == 200 and response.json() == {"data": []}


@pytest.mark.mock_decision
def test_exactly_100_ids_are_accepted(target: Target) -> None:
    assert target.statuses([_unknown_id() for _ in range(100)]) == []
