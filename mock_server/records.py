"""The records the mock keeps: accounts, tasks, hook attempts, faults, request entries.

Plain data with no behaviour beyond small derived properties, at the bottom of the package: the
domain makes them, both stores persist them field by field, and `web.wire` alone turns them
into wire shapes (no record renders itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, TypedDict

__all__ = ["Account", "Fault", "HookAttempt", "RequestRecord", "Task", "TaskStatus"]


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


@dataclass
class HookAttempt:
    """One hook POST (or its plan): a row of the hook journal (`GET /__mock/hooks`)."""

    hook_id: str
    task_id: str
    url: str
    attempt: int
    payload: dict[str, Any]
    scheduled_at: float
    generation: int
    sent_at: float | None = None
    response_status: int | None = None
    error: str | None = None
    duration_ms: float | None = None
    outcome: str = "pending"


@dataclass
class Fault:
    """One installed fault (`POST /__mock/faults`); `domain.faults` decides who gets it."""

    fault_id: str
    kind: str
    endpoint: str = "*"
    status: int | None = None
    latency: float | None = None
    remaining: int | None = 1
    probability: float | None = None
    hits: int = 0

    def matches(self, endpoint: str) -> bool:
        if self.endpoint == "*":
            return endpoint in ("submit-jobs", "job-status")
        return self.endpoint == endpoint


class RequestRecord(TypedDict):
    """One entry of the request journal (`GET /__mock/requests`), as `web.journal` keeps it:
    already in its wire shape (the journal holds nothing else), numbered by `id`."""

    id: int
    at: int
    method: str
    path: str
    endpoint: str
    keyFingerprint: str | None
    body: Any
    status: int
    dropped: bool
    answer: Any
