"""The backoff rules as pure functions: no clock, no network, a pinned random draw."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client import Backoff, RetryPolicy
from client.retry import parse_retry_after


def test_backoff_grows_exponentially_and_is_capped() -> None:
    backoff = Backoff(initial=0.5, factor=2.0, maximum=8.0, jitter=0.0)
    assert [backoff.delay(n) for n in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_jitter_only_shortens_a_delay() -> None:
    backoff = Backoff(initial=1.0, factor=2.0, maximum=10.0, jitter=0.5)
    assert backoff.delay(2, rand=lambda: 0.0) == 4.0
    assert backoff.delay(2, rand=lambda: 1.0) == 2.0


@given(
    attempt=st.integers(min_value=0, max_value=10_000),
    draw=st.floats(min_value=0.0, max_value=1.0),
    jitter=st.floats(min_value=0.0, max_value=1.0),
)
def test_delay_always_lies_within_the_budget(attempt: int, draw: float, jitter: float) -> None:
    backoff = Backoff(initial=0.25, factor=3.0, maximum=20.0, jitter=jitter)
    delay = backoff.delay(attempt, rand=lambda: draw)
    assert 0.0 <= delay <= 20.0


@pytest.mark.parametrize(
    "kwargs",
    [{"initial": -1}, {"maximum": -1}, {"factor": 0.5}, {"jitter": 1.5}, {"jitter": -0.1}],
)
def test_backoff_refuses_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**kwargs)


def test_retry_after_wins_over_backoff_but_is_capped() -> None:
    policy = RetryPolicy(max_retries=3, backoff=Backoff(jitter=0.0), max_retry_after=30.0)
    assert policy.delay(0) == 0.5
    assert policy.delay(0, retry_after=7.0) == 7.0
    assert policy.delay(0, retry_after=3600.0) == 30.0
    assert policy.delay(0, retry_after=-5.0) == 0.0


def test_coerce_accepts_a_count_or_a_policy() -> None:
    policy = RetryPolicy(max_retries=9)
    assert RetryPolicy.coerce(policy) is policy
    assert RetryPolicy.coerce(0).max_retries == 0
    with pytest.raises(TypeError):
        RetryPolicy.coerce(True)
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)


def test_parse_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("1") == 1.0
    assert parse_retry_after(" 2.5 ") == 2.5
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=20), usegmt=True), now=now) == 20
    )
    assert (
        parse_retry_after(format_datetime(now - timedelta(seconds=20), usegmt=True), now=now) == 0
    )


@pytest.mark.parametrize("value", [None, "", "soon", "-3", "nan"])
def test_unreadable_retry_after_falls_back_to_backoff(value: str | None) -> None:
    assert parse_retry_after(value) is None
