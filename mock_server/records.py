"""The records the backend keeps: accounts and tasks.

Plain dataclasses with no behaviour beyond small derived properties, so any store (memory now,
SQLite later) can persist them field by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

__all__ = ["Account", "Task", "TaskStatus"]


class TaskStatus(IntEnum):
    """[doc] The task states of job-status."""

    IN_PROGRESS = 0
    COMPLETED = 1
    FAILED = 2


@dataclass
class Account:
    """An API key and its quota ledger. `balance` never goes below zero."""

    key: str
    balance: int
    charged: int = 0
    refunded: int = 0


@dataclass(slots=True)
class Task:
    """One submitted job. The outcome is planned at submit time (deterministic from the seed and
    the prompt) and applied when the clock reaches `due_at`, or earlier by a control call.

    Slotted: a long-running mock holds 100k of them, and a slotted instance has no per-instance
    dict (measured: 1.36 -> 1.30 kB of RSS per stored task, 100k submits in-process)."""

    task_id: str
    api_key: str
    seq: int
    prompt: str
    mode: str
    hook_url: str | None
    timeout: int
    cost: int
    created_at: float
    due_at: float
    planned_status: TaskStatus
    planned_reason: str | None
    job_id: str
    mj_prompt: str
    width: int
    height: int
    status: TaskStatus = TaskStatus.IN_PROGRESS
    finished_at: float | None = None
    fail_reason: str | None = None
    refunded: bool = False

    @property
    def finished(self) -> bool:
        return self.status != TaskStatus.IN_PROGRESS
