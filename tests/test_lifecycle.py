"""The task lifecycle on a manual clock: 0 → 1 or 2, never back, deterministic from the seed."""

from __future__ import annotations

import re
import uuid

import pytest

import schemas
from mock_server import Config, ManualClock, MidjourneyBackend, SubmitRequest, TaskStatus
from mock_server.errors import Conflict, NotFound
from mock_server.web.wire import task_item

from .support import KEY, Post, status_items, submit_ok


def test_fast_task_completes_within_a_minute_with_documented_fields(
    post: Post, backend: MidjourneyBackend
) -> None:
    task_id = submit_ok(post, "a dog play with a boy --niji 6 --ar 9:16")
    assert status_items(post, task_id)[0]["status"] == 0
    backend.advance(60)
    (item,) = status_items(post, task_id)
    schemas.validate("task", item)
    assert item["status"] == 1
    assert uuid.UUID(item["jobId"]).version == 4
    assert item["images"] == [
        f"https://cdn.midjourney.com/{item['jobId']}/0_{i}.png" for i in range(4)
    ]
    assert item["meta"] == {"width": 816, "height": 1456}
    assert item["prompt"] == item["mjPrompt"] == "a dog play with a boy --niji 6 --ar 9:16"
    assert item["createdAt"] == int(backend.clock.now() * 1000) - 60_000


def test_completion_happens_at_its_planned_time_not_before(backend: MidjourneyBackend) -> None:
    task = backend.submit(KEY, SubmitRequest("a cat"))
    low, high = backend.config.durations["fast"]
    assert low <= task.due_at - task.created_at <= high
    backend.advance(task.due_at - task.created_at - 0.001)
    assert backend.get_task(task.task_id).status == TaskStatus.IN_PROGRESS
    backend.advance(0.001)
    finished = backend.get_task(task.task_id)
    assert finished.status == TaskStatus.COMPLETED
    assert finished.finished_at == pytest.approx(task.due_at)


def test_bad_personalize_code_fails_with_the_documented_reason_and_refunds(
    backend: MidjourneyBackend,
) -> None:
    before = backend.account(KEY).balance
    task = backend.submit(KEY, SubmitRequest("a cat --p 123123"))
    assert backend.account(KEY).balance == before - 2
    backend.advance(10)
    item = task_item(backend.get_task(task.task_id), backend.config)
    schemas.validate("task", item)
    assert item["status"] == 2
    assert item["failReason"] == "Invalid User ID or Personalize Code: ``123123``"
    assert backend.account(KEY).balance == before


def test_refund_can_be_switched_off(clock: ManualClock) -> None:
    backend = MidjourneyBackend(Config(api_keys={KEY: 10}, clock=clock, refund_failed=False))
    backend.submit(KEY, SubmitRequest("a cat --chaos 101"))
    backend.advance(10)
    assert backend.account(KEY).balance == 8


def test_task_longer_than_its_timeout_fails_at_the_timeout(clock: ManualClock) -> None:
    config = Config(api_keys={KEY: 10}, clock=clock, durations={"fast": (900.0, 900.0)})
    backend = MidjourneyBackend(config)
    task = backend.submit(KEY, SubmitRequest("a cat", timeout=300))
    backend.advance(299)
    assert backend.get_task(task.task_id).status == TaskStatus.IN_PROGRESS
    backend.advance(1)
    failed = backend.get_task(task.task_id)
    assert failed.status == TaskStatus.FAILED
    assert failed.fail_reason is not None and "300 seconds" in failed.fail_reason


def test_time_scale_shortens_durations(clock: ManualClock) -> None:
    backend = MidjourneyBackend(Config(api_keys={KEY: 10}, clock=clock, time_scale=25))
    task = backend.submit(KEY, SubmitRequest("a cat"))
    backend.advance(2.0)  # the longest fast job, 50 s, takes 2 s at scale 25
    assert backend.get_task(task.task_id).status == TaskStatus.COMPLETED


def test_forced_outcomes_and_status_never_moves_back(backend: MidjourneyBackend) -> None:
    done = backend.submit(KEY, SubmitRequest("a cat --p nope"))
    failed = backend.submit(KEY, SubmitRequest("a dog"))
    assert backend.complete(done.task_id).status == TaskStatus.COMPLETED
    assert backend.fail(failed.task_id, "forced").fail_reason == "forced"
    backend.advance(600)  # the planned outcomes must not overwrite the forced ones
    assert backend.get_task(done.task_id).status == TaskStatus.COMPLETED
    assert backend.get_task(failed.task_id).status == TaskStatus.FAILED
    with pytest.raises(Conflict, match="never moves back"):
        backend.fail(done.task_id, "again")
    with pytest.raises(NotFound):
        backend.complete("missing")


def test_same_seed_gives_the_same_ids_durations_and_jobs(clock: ManualClock) -> None:
    def run() -> list[tuple[str, float, str]]:
        backend = MidjourneyBackend(Config(api_keys={KEY: 100}, clock=ManualClock(0), seed=42))
        tasks = [backend.submit(KEY, SubmitRequest(f"p{i}")) for i in range(5)]
        return [(t.task_id, t.due_at, t.job_id) for t in tasks]

    first = run()
    assert first == run()
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{21}", task_id) for task_id, _, _ in first)


def test_advance_refuses_a_real_clock() -> None:
    backend = MidjourneyBackend(Config(api_keys={KEY: 10}))
    with pytest.raises(Conflict, match="not manual"):
        backend.advance(1)


def test_events_run_in_time_order_during_advance(backend: MidjourneyBackend) -> None:
    order: list[str] = []
    backend.on_task_finished(lambda task: order.append(task.task_id))
    tasks = [backend.submit(KEY, SubmitRequest(f"cat {i}")) for i in range(6)]
    backend.advance(60)
    assert order == [t.task_id for t in sorted(tasks, key=lambda t: t.due_at)]
    # Each completion saw the clock at its own due time, not at the end of the advance.
    for task in tasks:
        assert backend.get_task(task.task_id).finished_at == pytest.approx(task.due_at)


def test_reset_forgets_tasks_and_restores_balances(backend: MidjourneyBackend) -> None:
    task = backend.submit(KEY, SubmitRequest("a cat"))
    backend.add_key("new", 5)
    backend.reset()
    assert backend.tasks() == []
    assert {a.key: a.balance for a in backend.accounts()} == backend.config.api_keys
    with pytest.raises(NotFound):
        backend.get_task(task.task_id)
