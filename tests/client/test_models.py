"""Parsing job-status items: every documented form, and the undocumented ones seen in the wild."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

import fixtures
from client import SchemaMismatch, Task, TaskStatus
from client.models import parse_code

TASK_ID = "VUtF55IGrp08Pi_GPf3hk"


def completed_item(**overrides: object) -> dict[str, object]:
    item: dict[str, object] = {
        "taskId": TASK_ID,
        "status": 1,
        "jobId": "0f8a7e5c-3d55-4c3b-9d8e-8f1c2a3b4c5d",
        "images": [f"https://cdn.midjourney.com/j/0_{i}.png" for i in range(4)],
        "prompt": "a dog --ar 9:16",
        "mjPrompt": "a dog --ar 9:16",
        "createdAt": 1766916846000,
        "meta": {"width": 816, "height": 1456},
    }
    item.update(overrides)
    return item


def test_completed_item_maps_every_field() -> None:
    task = Task.from_dict(completed_item())
    assert task.task_id == TASK_ID
    assert task.status is TaskStatus.COMPLETED
    assert task.job_id == "0f8a7e5c-3d55-4c3b-9d8e-8f1c2a3b4c5d"
    assert len(task.images) == 4 and task.images[3].endswith("0_3.png")
    assert task.prompt == task.mj_prompt == "a dog --ar 9:16"
    assert task.created_at == datetime(2025, 12, 28, 10, 14, 6, tzinfo=timezone.utc)
    assert task.created_at.tzinfo is timezone.utc
    assert (task.width, task.height) == (816, 1456)
    assert task.fail_reason is None
    assert task.done and task.ok
    assert task.raw == completed_item()


@pytest.mark.parametrize("status", [0, "0", " 0 "])
def test_in_progress_item_in_both_status_forms(status: object) -> None:
    task = Task.from_dict({"taskId": TASK_ID, "status": status})
    assert task.status is TaskStatus.IN_PROGRESS
    assert not task.done and not task.ok
    assert task.images == () and task.created_at is None and task.width is None


@pytest.mark.parametrize("status", [2, "2"])
def test_failed_item_carries_its_reason(status: object) -> None:
    reason = "Invalid User ID or Personalize Code: ``123123``"
    item = {"taskId": TASK_ID, "status": status, "createdAt": "1766916846000", "failReason": reason}
    task = Task.from_dict(item)
    assert task.status == 2 and task.done and not task.ok
    assert task.fail_reason == reason
    assert task.created_at is not None and task.created_at.year == 2025


def test_unknown_fields_and_a_single_image_are_tolerated() -> None:
    item = completed_item(image="https://cdn.example/one.png", progress="87%", extra={"a": 1})
    del item["images"]
    task = Task.from_dict(item)
    assert task.images == ("https://cdn.example/one.png",)
    assert task.raw["progress"] == "87%"


def test_garbled_optional_fields_become_none_instead_of_crashing() -> None:
    task = Task.from_dict(
        completed_item(meta="816x1456", createdAt="yesterday", jobId=7, images=[1, "u.png"])
    )
    assert task.width is None and task.created_at is None and task.job_id is None
    assert task.images == ("u.png",)


def test_the_documented_samples_parse() -> None:
    body = fixtures.load("quickstart/job_status_response.json")
    tasks = [Task.from_dict(item) for item in body["data"]]
    assert tasks and all(isinstance(task.status, TaskStatus) for task in tasks)


@pytest.mark.parametrize(
    "item",
    [
        "not an object",
        {"status": 0},
        {"taskId": "", "status": 0},
        {"taskId": TASK_ID},
        {"taskId": TASK_ID, "status": 3},
        {"taskId": TASK_ID, "status": True},
        {"taskId": TASK_ID, "status": "done"},
    ],
)
def test_an_item_without_a_usable_id_or_status_is_a_schema_mismatch(item: object) -> None:
    with pytest.raises(SchemaMismatch):
        Task.from_dict(item)


def test_task_is_frozen_and_hashable_and_compares_without_raw() -> None:
    one = Task.from_dict(completed_item(extra=1))
    two = Task.from_dict(completed_item())
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.status = TaskStatus.FAILED  # type: ignore[misc]
    assert one == two and hash(one) == hash(two)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), ("1001", 1001), ("-1", -1), (True, None), ("1.5", None), (None, None), ("٣", None)],
)
def test_parse_code(value: object, expected: int | None) -> None:
    assert parse_code(value) == expected
