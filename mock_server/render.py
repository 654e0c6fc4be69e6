"""Tasks and errors as the API's JSON bodies.

The one place that turns backend records into wire shapes, shared by the provider endpoints,
hook payloads and the control API, so the shapes in `schemas/` are produced in one way only.
"""

from __future__ import annotations

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
    elif task.status == TaskStatus.FAILED:
        item.update(createdAt=epoch_millis(task.created_at), failReason=task.fail_reason)
    return item


def submit_success_body(task: Task, config: Config) -> dict[str, Any]:
    return {
        "status": status_code(0, config),
        "message": "success",
        "data": {"taskId": task.task_id},
    }


def job_status_body(tasks: list[Task], config: Config) -> dict[str, Any]:
    """[doc] `{"data": [...]}`; [decision] the full envelope with `job_status_envelope`."""
    items = [task_item(task, config) for task in tasks]
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
    return {
        "status": status_code(error.body_status, config),
        "message": error.message,
        "data": None,
    }
