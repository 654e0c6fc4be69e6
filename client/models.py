"""Typed views of the API's JSON, parsed leniently.

The documentation disagrees with itself (status `0` vs `"0"`) and public clients read fields the
sample lacks (`image`), so parsing accepts every form seen in the wild and ignores unknown fields:
a new field on the provider's side must not break a caller's app. `raw` keeps the original dict
for anything this module does not model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import IntEnum
from typing import Any

from .errors import SchemaMismatch

__all__ = ["Task", "TaskStatus", "parse_code"]


class TaskStatus(IntEnum):
    """The `status` of a job-status item. An IntEnum so `task.status == 1` keeps working."""

    IN_PROGRESS = 0
    COMPLETED = 1
    FAILED = 2


def parse_code(value: object) -> int | None:
    """A body `status` as an int, from `0` or `"0"`; None for anything else.

    bool is refused on purpose: `True == 1` would turn a garbled body into "completed".
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit() and text.isascii():
            return int(text)
    return None


def _millis_to_datetime(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        millis = float(value)
        return datetime.fromtimestamp(millis / 1000, tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def _positive_int(value: object) -> int | None:
    code = parse_code(value)
    return code if code is not None and code > 0 else None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Task:
    """One task as job-status last reported it. Fields the status does not carry are None."""

    task_id: str
    status: TaskStatus
    job_id: str | None = None
    images: tuple[str, ...] = ()
    prompt: str | None = None
    mj_prompt: str | None = None
    created_at: datetime | None = None
    width: int | None = None
    height: int | None = None
    fail_reason: str | None = None
    image: str | None = None
    """The single URL the provider's Python guide reads (the mock's 2x2 grid)."""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def done(self) -> bool:
        """True once the status can no longer change (completed or failed)."""
        return self.status != TaskStatus.IN_PROGRESS

    @property
    def ok(self) -> bool:
        """True only for a completed task, so `if task.ok` never mistakes "still running"."""
        return self.status == TaskStatus.COMPLETED

    @classmethod
    def from_dict(cls, item: object) -> Task:
        """Parse one job-status item; SchemaMismatch only when the id or status is unusable."""
        if not isinstance(item, Mapping):
            raise SchemaMismatch(f"job-status item is not an object: {item!r:.80}")
        task_id = item.get("taskId")
        if not isinstance(task_id, str) or not task_id:
            raise SchemaMismatch(f"job-status item has no taskId: {dict(item)!r:.120}")
        code = parse_code(item.get("status"))
        try:
            status = TaskStatus(code) if code is not None else None
        except ValueError:
            status = None
        if status is None:
            raise SchemaMismatch(
                f"task {task_id}: unknown status {item.get('status')!r:.40} (expected 0, 1 or 2)"
            )
        images = item.get("images")
        single = _str_or_none(item.get("image"))
        if isinstance(images, list):
            urls = tuple(url for url in images if isinstance(url, str))
        else:
            urls = (single,) if single is not None else ()
        meta = item.get("meta")
        meta = meta if isinstance(meta, Mapping) else {}
        reason = _str_or_none(item.get("failReason"))
        return cls(
            task_id=task_id,
            status=status,
            job_id=_str_or_none(item.get("jobId")),
            image=single,
            images=urls,
            prompt=_str_or_none(item.get("prompt")),
            mj_prompt=_str_or_none(item.get("mjPrompt")),
            created_at=_millis_to_datetime(item.get("createdAt")),
            width=_positive_int(meta.get("width")),
            height=_positive_int(meta.get("height")),
            fail_reason=reason,
            raw=dict(item),
        )
