"""The quota ledger and the concurrency limit, including under concurrent submits."""

from __future__ import annotations

import threading

import pytest

from mock_server import Config, ManualClock, MidjourneyBackend, SubmitRequest
from mock_server.errors import ApiError, ConcurrencyLimit, QuotaNotEnough

from .support import KEY, SUBMIT, Post, assert_error, submit_ok


@pytest.fixture
def trial(clock: ManualClock) -> MidjourneyBackend:
    """[doc] A new account: 10 quota."""
    return MidjourneyBackend(Config(api_keys={KEY: 10}, clock=clock))


def test_fast_costs_two_and_the_sixth_gets_1001(trial: MidjourneyBackend) -> None:
    for _ in range(5):
        trial.submit(KEY, SubmitRequest("a cat"))
    assert trial.account(KEY).balance == 0
    with pytest.raises(QuotaNotEnough):
        trial.submit(KEY, SubmitRequest("a cat"))


def test_relaxed_costs_one(trial: MidjourneyBackend) -> None:
    trial.submit(KEY, SubmitRequest("a cat", mode="relaxed"))
    assert trial.account(KEY).balance == 9


def test_1001_over_http_is_http_200_in_the_api_shape(
    post: Post, backend: MidjourneyBackend
) -> None:
    backend.add_key(KEY, 1)
    assert_error(post(SUBMIT, {"prompt": "x"}), 200, 1001, "quota")
    submit_ok(post, "x", mode="relaxed")


def test_eleventh_in_progress_task_gets_1002_until_one_finishes(
    post: Post, backend: MidjourneyBackend
) -> None:
    ids = [submit_ok(post, f"cat {i}") for i in range(10)]
    balance = backend.account(KEY).balance
    assert_error(post(SUBMIT, {"prompt": "x"}), 200, 1002, "10")
    assert backend.account(KEY).balance == balance, "a refused submit must not charge"
    backend.complete(ids[0])
    submit_ok(post, "x")


def test_limits_are_per_key(post: Post) -> None:
    for i in range(10):
        submit_ok(post, f"cat {i}")
    response = post(SUBMIT, {"prompt": "x"}, key="other-key")
    assert response.get_json()["status"] == 0


def test_concurrent_submits_never_oversell_quota(clock: ManualClock) -> None:
    backend = MidjourneyBackend(Config(api_keys={KEY: 41}, clock=clock, max_in_progress=1000))
    barrier = threading.Barrier(16)
    accepted: list[str] = []
    refused: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        for _ in range(10):
            try:
                task = backend.submit(KEY, SubmitRequest("a cat"))
            except ApiError as error:
                with lock:
                    refused.append(error.body_status)
            else:
                with lock:
                    accepted.append(task.task_id)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(accepted) == 20 and len(set(accepted)) == 20
    assert set(refused) == {1001} and len(refused) == 140
    account = backend.account(KEY)
    assert account.balance == 1 and account.charged == 40
    assert backend.task_count() == 20


def test_concurrent_submits_never_exceed_the_in_progress_limit(clock: ManualClock) -> None:
    backend = MidjourneyBackend(Config(api_keys={KEY: 10_000}, clock=clock))
    barrier = threading.Barrier(8)
    errors: list[type[ApiError]] = []

    def worker() -> None:
        barrier.wait()
        for _ in range(5):
            try:
                backend.submit(KEY, SubmitRequest("a cat"))
            except ConcurrencyLimit as error:
                errors.append(type(error))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert backend.in_progress_count(KEY) == 10
    assert len(errors) == 30
