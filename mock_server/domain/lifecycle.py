"""The fake Midjourney service: tasks and their lifecycle, over the ledger and the timeline.

`MidjourneyBackend` plans each submitted task's outcome, stores it, and finishes it when the
clock reaches its due time (or a control call forces it). The money rules are `domain.ledger`,
the clock-advance barrier `domain.timeline`, persistence `mock_server.storage`. No Flask and no
HTTP here, so the server, the in-process mode and the control API all drive one implementation.
One re-entrant lock serialises every state change: concurrent submits cannot oversell quota or
exceed the in-progress limit, and no reader ever sees a half-finished task.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mock_server.config import Config
from mock_server.domain import ledger
from mock_server.domain.clock import ManualClock
from mock_server.domain.faults import FaultInjector
from mock_server.domain.prompt import parse_prompt
from mock_server.domain.scheduler import Scheduler
from mock_server.domain.timeline import Deliveries, advance_to
from mock_server.errors import Conflict, InvalidRequest, NotFound
from mock_server.records import Account, Task, TaskStatus
from mock_server.storage.store import Store, store_for

__all__ = ["MidjourneyBackend", "SubmitRequest", "TaskListener", "TaskPlanner", "timeout_reason"]

TASK_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
TASK_ID_LENGTH = 21  # [doc examples] nanoid-style ids
FAILURE_DELAY = (2.0, 5.0)  # [decision] seconds before a rejected prompt shows up as failed

TaskListener = Callable[[Task], None]
# Called with each new task before it is stored and scheduled; may rewrite its plan
# (planned_status, planned_reason, due_at). A scenario (`domain.scenario`) is one.
TaskPlanner = Callable[[Task], None]


def timeout_reason(timeout: int) -> str:
    """[decision] The failReason of a task that ran past its `timeout`."""
    return f"Task timed out after {timeout} seconds"


@dataclass(frozen=True)
class SubmitRequest:
    """A submit-jobs body that already passed schema validation."""

    prompt: str
    mode: str = "fast"
    hook_url: str | None = None
    timeout: int | None = None


class MidjourneyBackend:
    def __init__(self, config: Config | None = None, store: Store | None = None) -> None:
        self.config = config or Config()
        self.clock = self.config.clock
        # An explicit store wins; otherwise `config.state_file` picks SQLite, else memory.
        self._store: Store = store if store is not None else store_for(self.config)
        # Public for a transport that must never block on it: granian's thread waits for it
        # at most `LOOP_LOCK_WAIT` (modes/granian_server.py), then hands the request off.
        self.lock = threading.RLock()
        self._scheduler = Scheduler()
        # Bound once: every task schedules these with its id (no closure per event).
        self._apply_planned_later = self._apply_planned
        self._expire_later = self._expire
        self._rng = random.Random(self.config.seed)
        self._seq = 0
        self._in_progress = ledger.InProgress()
        self._listeners: list[TaskListener] = []
        self._reset_listeners: list[Callable[[], None]] = []
        self.hooks: Deliveries | None = None
        self.planner: TaskPlanner | None = None
        self.faults = FaultInjector(self.config.seed)
        # True when the store already held state: the hook dispatcher then resumes its journal.
        self.restored = False
        self._restore()

    # -- accounts ---------------------------------------------------------------------------

    def authenticate(self, api_key: str | None) -> str:
        """The account's key, or Unauthorized (see `ledger.authenticate`)."""
        with self.lock:
            return ledger.authenticate(self._store, api_key)

    def add_key(self, key: str, quota: int) -> Account:
        """Create an account, or set an existing one's balance (a top-up or a drain)."""
        with self.lock:
            return ledger.set_balance(self._store, key, quota)

    def accounts(self) -> list[Account]:
        with self.lock:
            return list(self._store.accounts())

    def account(self, key: str) -> Account:
        with self.lock:
            account = self._store.get_account(key)
            if account is None:
                raise NotFound(f"no such key {key!r}")
            return account

    def in_progress_count(self, key: str) -> int:
        with self.lock:
            self._run_due()
            return self._in_progress.count(key)

    # -- the two provider endpoints ---------------------------------------------------------

    def submit(self, api_key: str, request: SubmitRequest) -> Task:
        cfg = self.config
        with self.lock:
            self._run_due()
            account = ledger.admit(self._store, cfg, self._in_progress, api_key, request.mode)
            cost = cfg.mode_costs.get(request.mode, 0)
            task = self._new_task(api_key, request, cost)
            if self.planner is not None:
                self.planner(task)
            # One transaction: a crash never leaves the balance charged without its task.
            with self._store.transaction():
                ledger.charge(self._store, account, cost)
                self._store.add_task(task)
            self._in_progress.add(task)
            self._schedule_outcome(task)
            return task

    def job_status(self, api_key: str, task_ids: Iterable[str]) -> list[Task]:
        """[decision] In request order, duplicates collapsed, unknown and foreign ids left out."""
        with self.lock:
            self._run_due()
            get_task = self._store.get_task
            found: list[Task] = []
            for task_id in dict.fromkeys(task_ids):
                task = get_task(task_id)
                if task is not None and task.api_key == api_key:
                    found.append(task)
            return found

    # -- lifecycle ---------------------------------------------------------------------------

    def settle(self) -> None:
        """Apply every outcome that is due by now (server mode calls this from a ticker)."""
        with self.lock:
            self._run_due()

    def next_due(self) -> float | None:
        with self.lock:
            return self._scheduler.next_due()

    def advance(self, seconds: float) -> float:
        """Move a manual clock forward, running each due event at its own time, in order.

        Waits for in-flight hook deliveries where a retry could fall inside the window
        (`timeline.advance_to`)."""
        clock = self.clock
        if not isinstance(clock, ManualClock):
            raise Conflict("the clock is not manual; start the mock with a manual clock")
        if seconds < 0:
            raise InvalidRequest("seconds must be >= 0")
        with self.lock:
            target = clock.now() + seconds
        return advance_to(
            target,
            clock=clock,
            lock=self.lock,
            scheduler=self._scheduler,
            deliveries=self.hooks,
            wait_timeout=self.config.hooks.attempt_timeout + 5,
        )

    def complete(self, task_id: str) -> Task:
        """Force success now, whatever was planned (a control-API power)."""
        with self.lock:
            self._run_due()
            task = self._unfinished(task_id)
            self._finish(task, TaskStatus.COMPLETED, None)
            return task

    def fail(self, task_id: str, reason: str) -> Task:
        with self.lock:
            self._run_due()
            task = self._unfinished(task_id)
            self._finish(task, TaskStatus.FAILED, reason or "Task failed")
            return task

    def get_task(self, task_id: str) -> Task:
        with self.lock:
            self._run_due()
            task = self._store.get_task(task_id)
            if task is None:
                raise NotFound(f"no such task {task_id!r}")
            return task

    def completed_task_by_job_id(self, job_id: str) -> Task:
        """The completed task whose images live under `job_id` (the CDN route serves them)."""
        with self.lock:
            self._run_due()
            task = self._store.get_task_by_job_id(job_id)
            if task is None or task.status != TaskStatus.COMPLETED:
                raise NotFound(f"no completed job {job_id!r}")
            return task

    def tasks(self) -> list[Task]:
        with self.lock:
            self._run_due()
            return list(self._store.tasks())

    def tasks_page(self, after_seq: int | None, limit: int) -> list[Task]:
        """Up to `limit` tasks in submit order, after the one numbered `after_seq`."""
        with self.lock:
            self._run_due()
            return list(self._store.tasks_after(after_seq or 0, limit))

    def task_count(self) -> int:
        with self.lock:
            return self._store.task_count()

    @property
    def store(self) -> Store:
        """Where the state lives (the hook dispatcher keeps its journal there too)."""
        return self._store

    def close(self) -> None:
        """Release the store (a state file's lock); the backend is not usable afterwards."""
        with self.lock:
            self._store.close()

    def on_task_finished(self, listener: TaskListener) -> None:
        """Call `listener(task)` once per task reaching 1 or 2, under the backend lock."""
        with self.lock:
            self._listeners.append(listener)

    def attach_hooks(self, hooks: Deliveries) -> None:
        """Wire a hook dispatcher in: finished tasks feed it, a reset clears its journal."""
        with self.lock:
            if self.hooks is not None:
                raise RuntimeError("this backend already has a hook dispatcher")
            self.hooks = hooks
            self._listeners.append(hooks.task_finished)
            self._reset_listeners.append(hooks.reset)
            hooks.restore()

    def on_reset(self, listener: Callable[[], None]) -> None:
        """Call `listener()` on every reset, so parts that keep their own state forget it too."""
        with self.lock:
            self._reset_listeners.append(listener)

    def schedule(self, at: float, action: Callable[[], None]) -> None:
        """Run `action` under the lock when the clock reaches `at` (hook retries use this)."""
        with self.lock:
            self._scheduler.schedule(at, action)

    def reset(self) -> None:
        """Forget every task and pending event; restore the configured keys and balances."""
        with self.lock:
            with self._store.transaction():
                self._store.clear()
                ledger.seed_accounts(self._store, self.config)
            self._scheduler.clear()
            self._in_progress.clear()
            self._rng = random.Random(self.config.seed)
            self._seq = 0
            self.faults.clear()
            for listener in list(self._reset_listeners):
                listener()

    # -- internals (called with the lock held) -----------------------------------------------

    def _restore(self) -> None:
        """Pick up where a persistent store left off, or seed the configured keys if it is new.

        Stored accounts win over configured ones (their balances are the ledger); configured
        keys the store does not know yet are added. Unfinished tasks are rescheduled at their
        planned time, so those that fell due while the mock was down settle on the first call.
        A manual clock never starts before the stored history. Ids continue: the generator is
        reseeded from the highest stored sequence number, and `_new_task_id` skips stored ids.
        """
        with self.lock:
            store = self._store
            known = {account.key for account in store.accounts()}
            if not known and store.task_count() == 0:
                self.reset()
                return
            self.restored = True
            latest: float | None = None
            for task in store.tasks():
                self._seq = max(self._seq, task.seq)
                stamp = max(task.created_at, task.finished_at or task.created_at)
                latest = stamp if latest is None else max(latest, stamp)
                if not task.finished:
                    self._in_progress.add(task)
                    self._schedule_outcome(task)
                else:
                    self._schedule_expiry(task)
            self._rng = random.Random(f"{self.config.seed}:{self._seq}")
            with store.transaction():
                ledger.seed_accounts(store, self.config, known)
            clock = self.clock
            if isinstance(clock, ManualClock) and latest is not None and latest > clock.now():
                clock.set(latest)

    def _schedule_outcome(self, task: Task) -> None:
        self._scheduler.schedule(task.due_at, self._apply_planned_later, task.task_id)

    def _run_due(self) -> None:
        now = self.clock.now()
        while (event := self._scheduler.pop_due_event(now)) is not None:
            event[1]()

    def _unfinished(self, task_id: str) -> Task:
        task = self._store.get_task(task_id)
        if task is None:
            raise NotFound(f"no such task {task_id!r}")
        if task.finished:
            raise Conflict(
                f"task {task_id} already finished with status {int(task.status)}; "
                "a status never moves back"
            )
        return task

    def _apply_planned(self, task_id: str) -> None:
        task = self._store.get_task(task_id)
        if task is not None and not task.finished:
            self._finish(task, task.planned_status, task.planned_reason)

    def _finish(self, task: Task, status: TaskStatus, reason: str | None) -> None:
        task.status = status
        task.finished_at = self.clock.now()
        task.fail_reason = reason if status == TaskStatus.FAILED else None
        # One transaction: the refund and the status land together. Listeners run after it
        # (they take the hook dispatcher's lock, which a store transaction must not wait for).
        with self._store.transaction():
            ledger.refund(self._store, self.config, task)
            self._store.save_task(task)
        self._in_progress.discard(task)
        self._schedule_expiry(task)
        for listener in list(self._listeners):
            listener(task)

    def _schedule_expiry(self, task: Task) -> None:
        """[decision] A finished task is forgotten `task_retention_seconds` of model time after
        it finished, so a long-running mock's memory (and state file) stays bounded."""
        retention = self.config.task_retention_seconds
        if retention is None or task.finished_at is None:
            return
        at = task.finished_at + retention / self.config.time_scale
        self._scheduler.schedule(at, self._expire_later, task.task_id)

    def _expire(self, task_id: str) -> None:
        task = self._store.get_task(task_id)
        if task is not None and task.finished:
            self._store.delete_task(task_id)
            if self.hooks is not None:
                self.hooks.task_expired(task_id)

    def _new_task(self, api_key: str, request: SubmitRequest, cost: int) -> Task:
        cfg = self.config
        rng = self._rng
        parsed = parse_prompt(request.prompt, cfg.prompt_rules)
        timeout = request.timeout if request.timeout is not None else cfg.default_timeout
        low, high = cfg.durations.get(request.mode, cfg.durations["fast"])
        duration = rng.uniform(low, high)
        reason: str | None
        if parsed.failure is not None:
            status, reason, delay = TaskStatus.FAILED, parsed.failure, rng.uniform(*FAILURE_DELAY)
        elif duration > timeout:
            status, delay = TaskStatus.FAILED, float(timeout)
            reason = timeout_reason(timeout)
        else:
            status, reason, delay = TaskStatus.COMPLETED, None, duration
        now = self.clock.now()
        self._seq += 1
        return Task(
            task_id=self._new_task_id(),
            api_key=api_key,
            seq=self._seq,
            prompt=request.prompt,
            mode=request.mode,
            hook_url=request.hook_url,
            timeout=timeout,
            cost=cost,
            created_at=now,
            due_at=now + delay / cfg.time_scale,
            planned_status=status,
            planned_reason=reason,
            job_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            mj_prompt=parsed.mj_prompt,
            width=parsed.width,
            height=parsed.height,
        )

    def _new_task_id(self) -> str:
        while True:
            candidate = "".join(self._rng.choices(TASK_ID_ALPHABET, k=TASK_ID_LENGTH))
            if self._store.get_task(candidate) is None:
                return candidate
