"""job-status: unknown, duplicate and foreign ids, and the order of the items.

All of it is undocumented [decision]: the mock gives items in the order of `taskIds`, reports a
repeated id once, and leaves out ids that are unknown or belong to another key. The mock targets
are held to that; on live each is an observation, printed beside the mock's default. What holds
everywhere [doc]: the known task is reported, and a key never sees another account's task.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from .observe import observe
from .target import FinishedTask, Target


def _unknown_id() -> str:
    return "zz" + secrets.token_urlsafe(15)[:19]


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [str(item.get("taskId")) for item in items]


@pytest.mark.decision("unknown-ids")
def test_unknown_ids_are_left_out(target: Target) -> None:
    items = target.statuses([_unknown_id(), _unknown_id()])
    observe(target, "unknown ids", "left out" if items == [] else "reported", "left out")


@pytest.mark.decision("item-order")
def test_items_follow_the_request_order(
    target: Target, completed_task: FinishedTask, failed_task: FinishedTask
) -> None:
    done, failed = completed_task.task_id, failed_task.task_id
    forward = _ids(target.statuses([done, failed]))
    backward = _ids(target.statuses([failed, done]))
    # [doc] both known tasks are reported, whatever the order.
    assert sorted(forward) == sorted(backward) == sorted([done, failed])
    in_order = forward == [done, failed] and backward == [failed, done]
    observe(target, "item order", "request order" if in_order else "its own order", "request order")


@pytest.mark.decision("repeated-ids")
def test_a_repeated_id_is_reported_once(
    target: Target, completed_task: FinishedTask, failed_task: FinishedTask
) -> None:
    done, failed = completed_task.task_id, failed_task.task_id
    ids = [failed, _unknown_id(), done, failed, done, done]
    known = [i for i in _ids(target.statuses(ids)) if i in (done, failed)]
    assert set(known) == {done, failed}
    observe(target, "repeated ids", "once" if len(known) == 2 else "repeated", "once")


@pytest.mark.doc
def test_another_keys_tasks_are_invisible(
    target: Target, completed_task: FinishedTask, second_key: str
) -> None:
    """[doc] the API-KEY is the account: another key never sees this account's task. Whether
    the id is left out or reported as unknown is a [decision] (observed on live)."""
    items = target.statuses([completed_task.task_id], key=second_key)
    for item in items:
        shown = {k: item.get(k) for k in ("jobId", "images", "prompt", "meta")}
        assert item.get("status") not in (1, "1") and not any(shown.values()), (
            f"another key sees task {completed_task.task_id}: {item}"
        )
    observe(target, "another key's ids", "left out" if items == [] else "reported", "left out")
    # ...and the owner still does.
    assert target.item(completed_task.task_id)["taskId"] == completed_task.task_id


@pytest.mark.needs_control
@pytest.mark.decision("foreign-ids")
def test_another_keys_own_tasks_stay_its_own(target: Target, second_key: str) -> None:
    mine, _ = target.submit("A cute kitten")
    theirs, _ = target.submit("A cute kitten", key=second_key)
    assert _ids(target.statuses([mine, theirs])) == [mine]
    assert _ids(target.statuses([mine, theirs], key=second_key)) == [theirs]


@pytest.mark.needs_control
@pytest.mark.decision("in-progress-item")
def test_a_task_in_progress_has_only_its_id_and_status(target: Target) -> None:
    """[doc] status 0: `{"taskId": ..., "status": 0}`; the mock sends nothing more."""
    task_id, _ = target.submit("a futuristic city at sunset --ar 16:9 --niji 7")
    item = target.item(task_id)
    assert set(item) == {"taskId", "status"} and int(item["status"]) == 0


@pytest.mark.decision("empty-task-ids")
def test_an_empty_list_gives_empty_data(target: Target) -> None:
    response = target.post_status({"taskIds": []})
    assert response.status_code == 200 and response.json() == {"data": []}


@pytest.mark.decision("max-task-ids")
def test_exactly_100_ids_are_accepted(target: Target) -> None:
    assert target.statuses([_unknown_id() for _ in range(100)]) == []
