"""Fixtures for the client tests: a client wired to the in-process mock and its manual clock.

The client's `sleep` advances the mock's clock and its `monotonic` reads it, so waiting and
backing off take no wall time at all, and every pause the client asks for is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from client import MidjourneyClient
from mock_server.testing.controller import MockController


class FakeTime:
    """The client's time source, following the mock's manual clock."""

    def __init__(self, mj: MockController) -> None:
        self.mj = mj
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, seconds
        self.sleeps.append(seconds)
        self.mj.advance(seconds)

    def monotonic(self) -> float:
        return self.mj.now()


@pytest.fixture(autouse=True)
def _no_client_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's real key in the environment must never leak into a test."""
    for name in ("MJ_API_KEY", "MJ_BASE_URL", "MIDJOURNEY_API_KEY", "MIDJOURNEY_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_time(mj_mock: MockController) -> FakeTime:
    return FakeTime(mj_mock)


class CountingSession(requests.Session):
    """A real session that counts the requests sent per endpoint (the last path segment)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        text = url.decode() if isinstance(url, bytes) else url
        self.sent.append(text.rsplit("/", 1)[-1])
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def session() -> Iterator[CountingSession]:
    with CountingSession() as counting:
        yield counting


@pytest.fixture
def make_client(
    mj_mock: MockController, fake_time: FakeTime, session: CountingSession
) -> Iterator[Callable[..., MidjourneyClient]]:
    """Build clients on the mock with other settings; all share the counting session."""
    made: list[MidjourneyClient] = []

    def make(**kwargs: Any) -> MidjourneyClient:
        options: dict[str, Any] = {
            "api_key": mj_mock.api_key,
            "base_url": mj_mock.base_url,
            "session": session,
            "sleep": fake_time.sleep,
            "monotonic": fake_time.monotonic,
        }
        options.update(kwargs)
        made.append(MidjourneyClient(**options))
        return made[-1]

    yield make
    for client in made:
        client.close()


@pytest.fixture
def api(make_client: Callable[..., MidjourneyClient]) -> MidjourneyClient:
    """The client as an app would build it, with only the time source replaced."""
    return make_client()
