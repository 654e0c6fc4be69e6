"""Tasks and errors as the API's JSON bodies.

The one place that turns backend records into wire shapes, shared by the provider endpoints,
hook payloads and the control API, so the shapes in `schemas/` are produced in one way only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .config import Config
from .errors import ApiError
from .images import GRID_NAME, IMAGE_NAMES
from .models import Task, TaskStatus

__all__ = [
    "epoch_millis",
    "error_body",
    "grid_url",
    "hook_payload",
    "image_urls",
    "job_status_body",
    "status_code",
    "submit_success_body",
    "task_item",
    "unknown_item",
]


def status_code(code: int, config: Config) -> int | str:
    """An *envelope* code: integer by default, the quickstart's `"0"` with `status_as_string`.

    Only envelope codes (submit answers, errors, the job-status and hook envelopes) switch:
    every documented sample shows task statuses as integers, so `task_item` never calls this.
    `int(code)` first, because `str()` of an IntEnum member is `"TaskStatus.COMPLETED"` on
    Python 3.10 and `"1"` from 3.11 on.
    """
    number = int(code)
    return str(number) if config.status_as_string else number


def epoch_millis(epoch_seconds: float) -> int:
    """[doc] Times on the wire are epoch milliseconds; the clock keeps epoch seconds."""
    return int(epoch_seconds * 1000)


def image_urls(task: Task, config: Config) -> list[str]:
    return [f"{config.image_base_url}/{task.job_id}/{name}" for name in IMAGE_NAMES]


def grid_url(task: Task, config: Config) -> str:
    """[doc: the Python guide reads `image`] [decision: it is the 2x2 grid] One URL."""
    return f"{config.image_base_url}/{task.job_id}/{GRID_NAME}"


def task_item(task: Task, config: Config) -> dict[str, Any]:
    """[doc] One job-status item: the fields of the sample, plus `image` on a completed task.

    The status is always an integer, whatever `status_as_string` says (see `status_code`).
    """
    item: dict[str, Any] = {"taskId": task.task_id, "status": int(task.status)}
    if task.status == TaskStatus.COMPLETED:
        item.update(
            jobId=task.job_id,
            image=grid_url(task, config),
            images=image_urls(task, config),
            prompt=task.prompt,
            mjPrompt=task.mj_prompt,
            createdAt=epoch_millis(task.created_at),
            meta={"width": task.width, "height": task.height},
        )
        for name, value in config.extra_item_fields.items():
            item.setdefault(name, _filled(value, task, config))
    elif task.status == TaskStatus.FAILED:
        item.update(createdAt=epoch_millis(task.created_at), failReason=task.fail_reason)
    return item


def _filled(value: Any, task: Task, config: Config) -> Any:
    """An `extra_item_fields` value, with {jobId}, {taskId} and {image_base_url} filled in."""
    if not isinstance(value, str):
        return value
    for name, text in (
        ("{jobId}", task.job_id or ""),
        ("{taskId}", task.task_id),
        ("{image_base_url}", config.image_base_url),
    ):
        value = value.replace(name, text)
    return value


def submit_success_body(task: Task, config: Config) -> dict[str, Any]:
    """[doc] status and taskId; `message` [doc: the reference page] unless `submit_message`
    is off (the features page shows the answer without it)."""
    body: dict[str, Any] = {"status": status_code(0, config), "message": "success"}
    if not config.submit_message:
        del body["message"]
    body["data"] = {"taskId": task.task_id}
    return body


def unknown_item(task_id: str, config: Config) -> dict[str, Any]:
    """[decision] `unknown_ids = "report"`: an id with no task of this key, as a failed item."""
    return {
        "taskId": task_id,
        "status": status_code(int(TaskStatus.FAILED), config),
        "createdAt": epoch_millis(config.clock.now()),
        "failReason": config.unknown_id_reason,
    }


def job_status_body(
    tasks: list[Task], config: Config, asked: Sequence[object] = ()
) -> dict[str, Any]:
    """[doc] `{"data": [...]}`; [decision] the full envelope with `job_status_envelope`; the
    ids in `asked` without a task reported too with `unknown_ids = "report"`."""
    items = [task_item(task, config) for task in tasks]
    if config.unknown_ids == "report":
        found = dict(zip((task.task_id for task in tasks), items, strict=True))
        items = [
            found[task_id] if task_id in found else unknown_item(task_id, config)
            for task_id in dict.fromkeys(i for i in asked if isinstance(i, str))
        ]
    if config.job_status_envelope:
        return {"status": status_code(0, config), "message": "success", "data": items}
    return {"data": items}


def hook_payload(task: Task, config: Config) -> dict[str, Any]:
    """[doc] The Python guide's envelope `{"status": 0, "data": item}`, with no `message`
    because the guide shows none; [decision] the bare item with `hooks.envelope = false`."""
    item = task_item(task, config)
    if config.hooks.envelope:
        return {"status": status_code(0, config), "data": item}
    return item


def error_body(error: ApiError, config: Config) -> dict[str, Any]:
    """Status and message; `"data": null` unless `error_data` is off [decision]."""
    body: dict[str, Any] = {
        "status": status_code(error.body_status, config),
        "message": error.message,
        "data": None,
    }
    if not config.error_data:
        del body["data"]
    return body
