"""submit and status against the in-process mock: what is sent, what comes back, in what order."""

from __future__ import annotations

import json
import re

import pytest
import responses

from client import (
    DEFAULT_BASE_URL,
    AuthenticationError,
    MidjourneyClient,
    TaskStatus,
    __version__,
)
from mock_server import Config, ManualClock
from mock_server.modes.inprocess import mock_midjourney
from mock_server.testing.controller import MockController

from .conftest import CountingSession, FakeTime

TASK_ID = re.compile(r"\A[A-Za-z0-9_-]{21}\Z")
SUBMIT_URL = f"{DEFAULT_BASE_URL}/midjourney/v1/submit-jobs"
STATUS_URL = f"{DEFAULT_BASE_URL}/midjourney/v1/job-status"


# -- construction -----------------------------------------------------------------------------


def test_no_key_fails_before_any_request() -> None:
    with responses.RequestsMock() as rsps, pytest.raises(AuthenticationError) as caught:
        MidjourneyClient()
    assert "MJ_API_KEY" in str(caught.value)
    assert len(rsps.calls) == 0


def test_a_blank_key_counts_as_no_key() -> None:
    with pytest.raises(AuthenticationError):
        MidjourneyClient("   ")


def test_key_and_base_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIDJOURNEY_API_KEY", "provider-style")
    monkeypatch.setenv("MIDJOURNEY_API_BASE_URL", "https://fallback.example/")
    client = MidjourneyClient()
    assert (client.api_key, client.base_url) == ("provider-style", "https://fallback.example")
    monkeypatch.setenv("MJ_API_KEY", "ours")
    monkeypatch.setenv("MJ_BASE_URL", "http://127.0.0.1:8080")
    client = MidjourneyClient()
    assert (client.api_key, client.base_url) == ("ours", "http://127.0.0.1:8080")
    explicit = MidjourneyClient("arg", "https://arg.example")
    assert (explicit.api_key, explicit.base_url) == ("arg", "https://arg.example")


def test_default_base_url_is_the_providers() -> None:
    assert MidjourneyClient("k").base_url == "https://api.midjourney-api.com"


def test_repr_does_not_show_the_whole_key() -> None:
    assert "secret-key-123" not in repr(MidjourneyClient("secret-key-123"))


def test_headers_and_body_on_the_wire() -> None:
    with responses.RequestsMock() as rsps:
        rsps.post(SUBMIT_URL, json={"status": 0, "message": "success", "data": {"taskId": "t"}})
        MidjourneyClient("my-key").submit("a cat", hook_url="https://h.example/x", timeout=300)
        request = rsps.calls[0].request
    assert request.headers["API-KEY"] == "my-key"
    assert "Authorization" not in request.headers
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith(f"midjourney-api-mock-client/{__version__}")
    assert request.body is not None
    assert json.loads(request.body) == {
        "prompt": "a cat",
        "mode": "fast",
        "hookUrl": "https://h.example/x",
        "timeout": 300,
    }


def test_optional_fields_are_left_out_when_not_given() -> None:
    with responses.RequestsMock() as rsps:
        rsps.post(SUBMIT_URL, json={"status": "0", "message": "success", "data": {"taskId": "t"}})
        assert MidjourneyClient("k").submit("a cat", mode="relaxed") == "t"
        body = rsps.calls[0].request.body
    assert body is not None and json.loads(body) == {
        "prompt": "a cat",
        "mode": "relaxed",
    }


def test_a_callers_session_is_used_and_left_open(
    mj_mock: MockController, session: CountingSession
) -> None:
    with MidjourneyClient(mj_mock.api_key, session=session) as client:
        client.submit("a cat")
    assert session.sent == ["submit-jobs"]
    assert session.adapters  # close() was not called on it


# -- submit -----------------------------------------------------------------------------------


def test_submit_returns_the_task_id_and_the_mock_records_the_fields(
    api: MidjourneyClient, mj_mock: MockController
) -> None:
    task_id = api.submit(
        "a dog --ar 9:16", mode="relaxed", hook_url="https://h.example", timeout=900
    )
    assert TASK_ID.match(task_id)
    (task,) = mj_mock.tasks
    assert task["taskId"] == task_id
    assert (task["mode"], task["hookUrl"], task["timeout"]) == ("relaxed", "https://h.example", 900)


def test_submit_rejects_a_non_string_prompt(api: MidjourneyClient) -> None:
    with pytest.raises(TypeError):
        api.submit(None)  # type: ignore[arg-type]


# -- status -----------------------------------------------------------------------------------


def test_status_of_one_id_and_of_many(api: MidjourneyClient, mj_mock: MockController) -> None:
    first, second = api.submit("a cat"), api.submit("a dog --ar 16:9")
    mj_mock.complete(second)
    (only,) = api.status(first)
    assert only.task_id == first and only.status is TaskStatus.IN_PROGRESS
    tasks = api.status([second, first])
    assert [t.task_id for t in tasks] == [second, first]
    assert tasks[0].ok and (tasks[0].width, tasks[0].height) == (1456, 816)
    assert len(tasks[0].images) == 4


def test_status_leaves_unknown_ids_out_and_reports_repeats_once(
    api: MidjourneyClient, mj_mock: MockController
) -> None:
    task_id = api.submit("a cat")
    unknown = "A" * 21
    assert [t.task_id for t in api.status([unknown, task_id, task_id])] == [task_id]
    mj_mock.add_key("other", 10)
    assert api.status(task_id)  # but another key's client does not see it:
    other = MidjourneyClient("other", mj_mock.base_url)
    assert other.status(task_id) == []


def test_status_of_nothing_sends_nothing(api: MidjourneyClient, session: CountingSession) -> None:
    assert api.status([]) == []
    assert session.sent == []


def test_status_accepts_any_iterable_but_not_other_types(api: MidjourneyClient) -> None:
    task_id = api.submit("a cat")
    assert len(api.status(iter([task_id]))) == 1
    with pytest.raises(TypeError):
        api.status([task_id, 7])  # type: ignore[list-item]


def test_long_lists_go_out_in_batches_of_100_and_keep_the_callers_order() -> None:
    config = Config(api_keys={"k": 10_000}, clock=ManualClock(), max_in_progress=1000)
    with mock_midjourney(config) as mj, CountingSession() as session:
        client = MidjourneyClient(mj.api_key, session=session, sleep=FakeTime(mj).sleep)
        created = [client.submit(f"cat number {n}") for n in range(130)]
        session.sent.clear()
        # Unknown ids interleaved, the order reversed: the answer follows the question.
        unknown = [f"{n:021d}" for n in range(130)]
        wanted = [task_id for pair in zip(created[::-1], unknown, strict=True) for task_id in pair]
        tasks = client.status(wanted)
        assert [t.task_id for t in tasks] == created[::-1]
        assert session.sent == ["job-status"] * 3  # 260 ids: 100 + 100 + 60
        assert len(client.status(created[:100])) == 100
        assert session.sent[-1:] == ["job-status"] and len(session.sent) == 4


def test_job_status_envelope_and_string_status_are_both_understood() -> None:
    config = Config(
        api_keys={"k": 100}, clock=ManualClock(), status_as_string=True, job_status_envelope=True
    )
    with mock_midjourney(config) as mj:
        fake = FakeTime(mj)
        client = MidjourneyClient(mj.api_key, sleep=fake.sleep, monotonic=fake.monotonic)
        task_id = client.submit("a cat")
        assert client.status(task_id)[0].status is TaskStatus.IN_PROGRESS
        task = client.wait(task_id)
        # The switch turns envelope codes into strings; the task status stays an integer.
        assert task.ok and task.raw["status"] == 1
