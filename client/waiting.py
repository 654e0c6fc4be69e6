"""Waiting for tasks: job-status polled with backoff until every task is done, on an injected clock.

Kept apart from the HTTP calls (`api.py`) because waiting is policy, not transport: how long to
wait, how fast to poll, when a missing id is unknown rather than late, and which outcome ends the
wait. The loop asks for the state through a `status` callable, so it never sees a URL or a
session, and takes its time from `sleep` / `monotonic`, so tests drive a manual clock instead of
sleeping. The three ways a wait ends without a result (`TaskFailed`, `TaskNotFound`,
`WaitTimeout`) live here too: each carries the `Task`s the wait saw, and only waiting raises them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .errors import MidjourneyError, is_transient
from .models import Task, TaskStatus
from .retry import Backoff

__all__ = [
    "DEFAULT_MAX_POLL_INTERVAL",
    "DEFAULT_NOT_FOUND_GRACE",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_WAIT_TIMEOUT",
    "ProgressCallback",
    "TaskFailed",
    "TaskNotFound",
    "WaitPlan",
    "WaitTimeout",
    "wait_for",
]

log = logging.getLogger(__name__)

# The longest task timeout the API accepts (1200 s) plus a minute: a default wait never gives up
# on a task the server is still allowed to finish.
DEFAULT_WAIT_TIMEOUT = 1260.0
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_MAX_POLL_INTERVAL = 15.0
# How long job-status may leave a just-submitted id out before the id is called unknown; covers
# a provider whose status store lags its submit path.
DEFAULT_NOT_FOUND_GRACE = 30.0

ProgressCallback = Callable[[Task], None]


@dataclass(frozen=True)
class WaitPlan:
    """How one wait polls and when it ends: `MidjourneyClient.wait_all`'s keyword arguments,
    in its order, which documents each."""

    timeout: float
    poll_interval: float
    max_poll_interval: float
    not_found_grace: float
    on_progress: ProgressCallback | None
    raise_on_failure: bool


class TaskFailed(MidjourneyError):
    """The task ended with status 2; `fail_reason` is Midjourney's explanation."""

    def __init__(self, task: Task) -> None:
        reason = task.fail_reason or "no failReason given"
        super().__init__(f"task {task.task_id} failed: {reason}")
        self.task = task
        self.fail_reason = task.fail_reason


class TaskNotFound(MidjourneyError):
    """job-status kept leaving the id out: a typo, another key's task, or a lost task."""

    def __init__(self, task_id: str, *, waited: float = 0.0) -> None:
        detail = f" for {waited:g} s" if waited else ""
        super().__init__(
            f"task {task_id} is not known to the API{detail} "
            "(wrong id, or a task submitted with another API key?)"
        )
        self.task_id = task_id


class WaitTimeout(MidjourneyError):
    """`wait` gave up; the tasks may still finish, so `pending` holds their last known state."""

    def __init__(self, task_ids: Sequence[str], timeout: float, pending: Sequence[Task]) -> None:
        more = len(task_ids) - 3
        shown = ", ".join(task_ids[:3]) + (f" and {more} more" if more > 0 else "")
        super().__init__(f"gave up waiting for {shown} after {timeout:g} s")
        self.task_ids = list(task_ids)
        self.timeout = timeout
        self.pending = list(pending)


def wait_for(
    status: Callable[[list[str]], list[Task]],
    ids: Sequence[str],
    plan: WaitPlan,
    *,
    sleep: Callable[[float], None],
    monotonic: Callable[[], float],
    rand: Callable[[], float],
) -> list[Task]:
    """Poll `status` (one call per round for every unfinished id) until each of `ids` is done.

    The semantics are `MidjourneyClient.wait_all`'s, which documents them. A poll that fails in a
    way worth retrying is logged and asked again next round, so an outage shorter than `timeout`
    costs nothing but time; `rand` draws the backoff's jitter.
    """
    if not ids:
        return []
    timeout, poll_interval = plan.timeout, plan.poll_interval
    if timeout < 0 or poll_interval <= 0:
        # A zero interval would hammer the API in a busy loop until the deadline.
        raise ValueError("timeout must be >= 0 and poll_interval > 0")
    unique = list(dict.fromkeys(ids))
    backoff = Backoff(
        initial=poll_interval,
        factor=1.5,
        maximum=max(poll_interval, plan.max_poll_interval),
        jitter=0.2,
    )
    deadline = monotonic() + timeout
    latest: dict[str, Task] = {}
    missing_since: dict[str, float] = {}
    last_error: MidjourneyError | None = None
    round_ = 0
    while True:
        pending = [i for i in unique if i not in latest or not latest[i].done]
        try:
            tasks = status(pending)
        except MidjourneyError as error:
            if not is_transient(error):
                raise
            log.warning("job-status poll failed, will ask again: %s", error)
            last_error = error
        else:
            last_error = None
            seen = {task.task_id: task for task in tasks}
            now = monotonic()
            for task_id in pending:
                task = seen.get(task_id)
                if task is None:
                    since = missing_since.setdefault(task_id, now)
                    if now - since >= plan.not_found_grace:
                        raise TaskNotFound(task_id, waited=now - since)
                    continue
                missing_since.pop(task_id, None)
                latest[task_id] = task
                if plan.on_progress is not None:
                    plan.on_progress(task)
                if plan.raise_on_failure and task.status == TaskStatus.FAILED:
                    raise TaskFailed(task)
            if all(i in latest and latest[i].done for i in unique):
                return [latest[i] for i in ids]
        now = monotonic()
        if now >= deadline:
            pending_tasks = [latest[i] for i in unique if i in latest and not latest[i].done]
            raise WaitTimeout(
                [i for i in unique if i not in latest or not latest[i].done],
                timeout,
                pending_tasks,
            ) from last_error
        sleep(min(backoff.delay(round_, rand), deadline - now))
        round_ += 1
