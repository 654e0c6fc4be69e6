"""Tasks and errors as the API's JSON bodies.

The one place that turns backend records into wire shapes, shared by the provider endpoints,
hook payloads and the control API, so the shapes in `schemas/` are produced in one way only.
"""

from __future__ import annotations

from typing import Any

from .config import Config
from .errors import ApiError
from .models import Task, TaskStatus

__all__ = [
    "epoch_millis",
    "error_body",
    "hook_payload",
    "image_urls",
    "job_status_body",
    "status_code",
    "submit_success_body",
    "task_item",
]


def status_code(code: int, config: Config) -> int | str:
    """[decision] Integer by default; the quickstart's string form with `status_as_string`."""
    return str(code) if config.status_as_string else code


def epoch_millis(epoch_seconds: float) -> int:
    """[doc] Times on the wire are epoch milliseconds; the clock keeps epoch seconds."""
    return int(epoch_seconds * 1000)


def image_urls(task: Task, config: Config) -> list[str]:
    return [f"{config.image_base_url}/{task.job_id}/0_{i}.png" for i in range(4)]


def task_item(task: Task, config: Config) -> dict[str, Any]:
    """[doc] One job-status item; each state carries exactly the fields of the sample."""
    item: dict[str, Any] = {"taskId": task.task_id, "status": status_code(task.status, config)}
    if task.status == TaskStatus.COMPLETED:
        item.update(
            jobId=task.job_id,
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
    """[decision] The task's job-status item, or enveloped with `hooks.envelope`."""
    item = task_item(task, config)
    if config.hooks.envelope:
        return {"status": status_code(0, config), "message": "success", "data": item}
    return item


def error_body(error: ApiError, config: Config) -> dict[str, Any]:
    return {
        "status": status_code(error.body_status, config),
        "message": error.message,
        "data": None,
    }
