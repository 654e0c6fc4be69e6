"""wait and wait_all on the mock's manual clock: the client's sleep moves the mock's time, so a
50-second job is waited for in milliseconds, and every pause the client takes is recorded."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from client import (
    MidjourneyClient,
    Task,
    TaskFailed,
    TaskNotFound,
    TaskStatus,
    WaitTimeout,
)
from mock_server.testing.controller import MockController

from .conftest import FakeTime

MakeClient = Callable[..., MidjourneyClient]
BAD_CODE_PROMPT = "a cat --p 123123"


def test_wait_polls_with_growing_pauses_until_the_task_completes(
    api: MidjourneyClient, mj_mock: MockController, fake_time: FakeTime
) -> None:
    task_id = api.submit("a dog play with a boy --niji 6 --ar 9:16")
    seen: list[Task] = []
    start = mj_mock.now()
    task = api.wait(task_id, on_progress=seen.append)
    assert task.ok and task.status is TaskStatus.COMPLETED
    assert (task.width, task.height) == (816, 1456) and len(task.images) == 4
    assert seen[-1] == task
    assert all(t.status is TaskStatus.IN_PROGRESS for t in seen[:-1]) and len(seen) >= 3
    # Fast jobs take 30-50 s of model time; the wait spent about that, not more than a cap over.
    assert 30 <= mj_mock.now() - start <= 50 + 15
    assert all(0 < s <= 15 for s in fake_time.sleeps)
    assert fake_time.sleeps[-1] > fake_time.sleeps[0]  # exponential, not a fixed interval


def test_wait_returns_at_once_for_a_finished_task(
    api: MidjourneyClient, mj_mock: MockController, fake_time: FakeTime
) -> None:
    task_id = api.submit("a cat")
    mj_mock.complete(task_id)
    assert api.wait(task_id).ok
    assert fake_time.sleeps == []


def test_a_failed_task_raises_task_failed_with_the_reason(api: MidjourneyClient) -> None:
    task_id = api.submit(BAD_CODE_PROMPT)
    with pytest.raises(TaskFailed) as caught:
        api.wait(task_id)
    error = caught.value
    assert error.fail_reason == "Invalid User ID or Personalize Code: ``123123``"
    assert error.task.task_id == task_id and error.task.status is TaskStatus.FAILED
    assert "123123" in str(error)
    assert error.task.created_at is not None


def test_raise_on_failure_false_returns_the_failed_task(
    api: MidjourneyClient, mj_mock: MockController
) -> None:
    task_id = api.submit("a cat")
    mj_mock.fail(task_id, "Banned prompt detected")
    task = api.wait(task_id, raise_on_failure=False)
    assert task.done and not task.ok and task.fail_reason == "Banned prompt detected"


def test_an_id_the_api_never_reports_raises_task_not_found_after_the_grace(
    api: MidjourneyClient, mj_mock: MockController
) -> None:
    start = mj_mock.now()
    with pytest.raises(TaskNotFound) as caught:
        api.wait("A" * 21, not_found_grace=20)
    assert caught.value.task_id == "A" * 21
    assert 20 <= mj_mock.now() - start <= 20 + 15


def test_another_keys_task_is_not_found(make_client: MakeClient, mj_mock: MockController) -> None:
    task_id = make_client().submit("a cat")
    mj_mock.add_key("other", 10)
    with pytest.raises(TaskNotFound, match="another API key"):
        make_client(api_key="other").wait(task_id)


def test_the_overall_timeout_raises_wait_timeout_on_time(
    api: MidjourneyClient, mj_mock: MockController, fake_time: FakeTime
) -> None:
    task_id = api.submit("a cat")
    start = mj_mock.now()
    with pytest.raises(WaitTimeout) as caught:
        api.wait(task_id, timeout=10)
    assert mj_mock.now() - start == pytest.approx(10)  # the last pause is cut to the deadline
    assert caught.value.task_ids == [task_id]
    assert [t.status for t in caught.value.pending] == [TaskStatus.IN_PROGRESS]
    assert sum(fake_time.sleeps) == pytest.approx(10)


def test_wait_rides_out_an_outage_longer_than_the_retry_budget(
    api: MidjourneyClient, mj_mock: MockController
) -> None:
    task_id = api.submit("a cat")
    mj_mock.inject_fault("status", status=503, count=9, endpoint="job-status")
    assert api.wait(task_id).ok
    assert mj_mock.faults == []


def test_a_wait_that_times_out_during_an_outage_says_why(
    api: MidjourneyClient, mj_mock: MockController
) -> None:
    task_id = api.submit("a cat")
    mj_mock.inject_fault("status", status=503, count=1000, endpoint="job-status")
    with pytest.raises(WaitTimeout) as caught:
        api.wait(task_id, timeout=5)
    assert "503" in str(caught.value.__cause__)


def test_wait_all_returns_every_task_in_the_order_asked(
    api: MidjourneyClient, mj_mock: MockController
) -> None:
    ids = [api.submit("a cat"), api.submit("a dog", mode="relaxed"), api.submit("a fox")]
    mj_mock.complete(ids[2])
    tasks = api.wait_all([ids[1], ids[0], ids[2], ids[1]])
    assert [t.task_id for t in tasks] == [ids[1], ids[0], ids[2], ids[1]]
    assert all(t.ok for t in tasks)


def test_wait_all_raises_the_first_failure_or_collects_everything(
    api: MidjourneyClient, mj_mock: MockController
) -> None:
    good, bad = api.submit("a cat"), api.submit(BAD_CODE_PROMPT)
    with pytest.raises(TaskFailed) as caught:
        api.wait_all([good, bad])
    assert caught.value.task.task_id == bad
    tasks = api.wait_all([good, bad], raise_on_failure=False)
    assert [(t.task_id, t.status) for t in tasks] == [
        (good, TaskStatus.COMPLETED),
        (bad, TaskStatus.FAILED),
    ]


def test_wait_all_of_nothing_returns_nothing(api: MidjourneyClient) -> None:
    assert api.wait_all([]) == []


def test_wait_checks_its_arguments(api: MidjourneyClient) -> None:
    with pytest.raises(TypeError):
        api.wait(["a list"])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        api.wait("A" * 21, timeout=-1)
    with pytest.raises(ValueError):
        api.wait("A" * 21, poll_interval=0)
