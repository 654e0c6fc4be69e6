"""Every error class, from the in-process mock where it can produce the condition, and the retry
rules: job-status is retried, submit-jobs is not (except on 429)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
import responses

from client import (
    DEFAULT_BASE_URL,
    APIError,
    AuthenticationError,
    ConcurrencyLimitError,
    MidjourneyClient,
    MidjourneyError,
    QuotaExceededError,
    RateLimitError,
    RetryPolicy,
    SchemaMismatch,
    ServerError,
    TransportError,
    ValidationError,
)
from mock_server import Config, ManualClock
from mock_server.modes.inprocess import mock_midjourney
from mock_server.testing.controller import MockController

from .conftest import CountingSession, FakeTime

MakeClient = Callable[..., MidjourneyClient]
SUBMIT_URL = f"{DEFAULT_BASE_URL}/midjourney/v1/submit-jobs"
STATUS_URL = f"{DEFAULT_BASE_URL}/midjourney/v1/job-status"


# -- refusals the mock produces on its own ----------------------------------------------------


def test_an_unknown_key_is_an_authentication_error_and_is_not_retried(
    make_client: MakeClient, session: CountingSession, fake_time: FakeTime
) -> None:
    client = make_client(api_key="not-a-key")
    for call in (lambda: client.submit("a cat"), lambda: client.status("A" * 21)):
        with pytest.raises(AuthenticationError) as caught:
            call()
        assert (caught.value.http_status, caught.value.code) == (401, 401)
        assert "API-KEY" in caught.value.message
    assert session.sent == ["submit-jobs", "job-status"]
    assert fake_time.sleeps == []


@pytest.mark.parametrize(
    ("fields", "word"),
    [({"prompt": ""}, "prompt"), ({"timeout": 5}, "timeout"), ({"mode": "turbo"}, "mode")],
)
def test_a_body_the_server_rejects_is_a_validation_error(
    api: MidjourneyClient, fields: dict[str, object], word: str
) -> None:
    prompt = str(fields.pop("prompt", "a cat"))
    with pytest.raises(ValidationError) as caught:
        api.submit(prompt, **fields)  # type: ignore[arg-type]
    assert (caught.value.http_status, caught.value.code) == (400, 400)
    assert word in caught.value.message


def test_an_empty_task_id_is_a_validation_error(api: MidjourneyClient) -> None:
    with pytest.raises(ValidationError, match="taskIds"):
        api.status("")


def test_quota_not_enough_arrives_in_an_http_200(
    make_client: MakeClient, mj_mock: MockController
) -> None:
    mj_mock.add_key("trial", 1)
    client = make_client(api_key="trial")
    with pytest.raises(QuotaExceededError) as caught:
        client.submit("a cat")  # fast costs 2
    assert (caught.value.http_status, caught.value.code) == (200, 1001)
    assert "quota" in str(caught.value)
    assert mj_mock.tasks == []
    assert client.submit("a cat", mode="relaxed")  # relaxed costs 1


def test_the_eleventh_task_in_progress_is_a_concurrency_error(
    api: MidjourneyClient, mj_mock: MockController
) -> None:
    running = [api.submit(f"cat {n}") for n in range(10)]
    with pytest.raises(ConcurrencyLimitError) as caught:
        api.submit("one too many")
    assert (caught.value.http_status, caught.value.code) == (200, 1002)
    mj_mock.complete(running[0])
    assert api.submit("now there is room")


def test_codes_in_the_string_form_raise_the_same_errors() -> None:
    config = Config(api_keys={"trial": 1}, clock=ManualClock(), status_as_string=True)
    with mock_midjourney(config) as mj:
        client = MidjourneyClient(mj.api_key, sleep=FakeTime(mj).sleep)
        with pytest.raises(QuotaExceededError) as caught:
            client.submit("a cat")
        assert caught.value.code == 1001
        with pytest.raises(AuthenticationError) as auth:
            MidjourneyClient("wrong").submit("a cat")
        assert auth.value.code == 401


# -- injected faults and the retry rules ------------------------------------------------------


def test_status_is_retried_through_two_503s(
    api: MidjourneyClient, mj_mock: MockController, session: CountingSession, fake_time: FakeTime
) -> None:
    task_id = api.submit("a cat")
    mj_mock.inject_fault("status", status=503, count=2, endpoint="job-status")
    assert [t.task_id for t in api.status(task_id)] == [task_id]
    assert session.sent == ["submit-jobs"] + ["job-status"] * 3
    assert len(fake_time.sleeps) == 2 and fake_time.sleeps[0] <= fake_time.sleeps[1] * 2
    assert mj_mock.faults == []


def test_submit_is_never_retried_on_a_503(
    api: MidjourneyClient, mj_mock: MockController, session: CountingSession, fake_time: FakeTime
) -> None:
    mj_mock.inject_fault("status", status=503, count=2, endpoint="submit-jobs")
    for _ in range(2):
        with pytest.raises(ServerError) as caught:
            api.submit("a cat")
        assert caught.value.http_status == 503
    task_id = api.submit("a cat")
    assert session.sent == ["submit-jobs"] * 3
    assert [task["taskId"] for task in mj_mock.tasks] == [task_id]
    assert fake_time.sleeps == []


def test_status_gives_up_after_the_retry_budget(
    make_client: MakeClient, mj_mock: MockController, session: CountingSession
) -> None:
    client = make_client(retries=RetryPolicy(max_retries=2))
    mj_mock.inject_fault("status", status=500, count=5, endpoint="job-status")
    with pytest.raises(ServerError) as caught:
        client.status("A" * 21)
    assert caught.value.http_status == 500
    assert session.sent == ["job-status"] * 3


def test_a_429_is_retried_after_retry_after_for_both_endpoints(
    api: MidjourneyClient, mj_mock: MockController, fake_time: FakeTime
) -> None:
    # 429 means "refused before doing anything": even a submit is safe to send again.
    mj_mock.inject_fault("status", status=429, count=1)
    task_id = api.submit("a cat")
    mj_mock.inject_fault("status", status=429, count=1)
    assert api.status(task_id)
    assert fake_time.sleeps == [1.0, 1.0]  # the mock's Retry-After: 1
    assert len(mj_mock.tasks) == 1


def test_rate_limit_error_carries_retry_after(
    make_client: MakeClient, mj_mock: MockController
) -> None:
    client = make_client(retries=0)
    mj_mock.inject_fault("status", status=429, count=1)
    with pytest.raises(RateLimitError) as caught:
        client.status("A" * 21)
    assert (caught.value.http_status, caught.value.retry_after) == (429, 1.0)


def test_a_dropped_connection_is_retried_for_status_but_not_for_submit(
    api: MidjourneyClient, mj_mock: MockController, session: CountingSession
) -> None:
    mj_mock.inject_fault("drop", count=1, endpoint="submit-jobs")
    with pytest.raises(TransportError) as caught:
        api.submit("a cat")
    assert caught.value.http_status is None and caught.value.code is None
    assert isinstance(caught.value.__cause__, requests.ConnectionError)
    assert mj_mock.tasks == []
    task_id = api.submit("a cat")
    mj_mock.inject_fault("drop", count=2, endpoint="job-status")
    assert api.status(task_id)
    assert session.sent == ["submit-jobs"] * 2 + ["job-status"] * 3


def test_a_malformed_body_is_a_transport_error_retried_only_for_status(
    make_client: MakeClient, mj_mock: MockController, session: CountingSession
) -> None:
    client = make_client()
    mj_mock.inject_fault("malformed", count=1, endpoint="submit-jobs")
    with pytest.raises(TransportError, match="not valid JSON") as caught:
        client.submit("a cat")
    assert caught.value.http_status == 200
    task_id = client.submit("a cat")
    mj_mock.inject_fault("malformed", count=1, endpoint="job-status")
    assert client.status(task_id)
    no_retries = make_client(retries=0)
    mj_mock.inject_fault("malformed", count=1, endpoint="job-status")
    with pytest.raises(TransportError):
        no_retries.status(task_id)
    assert session.sent == ["submit-jobs"] * 2 + ["job-status"] * 3


def test_a_base_url_without_a_scheme_fails_at_once(
    make_client: MakeClient, session: CountingSession, fake_time: FakeTime
) -> None:
    client = make_client(base_url="api.midjourney-api.com")
    with pytest.raises(TransportError) as caught:
        client.status("A" * 21)
    assert caught.value.transient is False
    assert fake_time.sleeps == []


def test_a_wrong_path_is_a_plain_api_error(make_client: MakeClient) -> None:
    client = make_client(base_url=DEFAULT_BASE_URL + "/v2")
    with pytest.raises(APIError) as caught:
        client.submit("a cat")
    assert type(caught.value) is APIError and caught.value.http_status == 404


# -- bodies only a hand-made server sends -----------------------------------------------------


def test_a_timeout_is_a_transport_error() -> None:
    with responses.RequestsMock() as rsps:
        rsps.post(SUBMIT_URL, body=requests.exceptions.ReadTimeout("read timed out"))
        with pytest.raises(TransportError, match="no answer"):
            MidjourneyClient("k", retries=0).submit("a cat")


def test_an_html_502_from_a_proxy_is_a_server_error_with_the_text() -> None:
    with responses.RequestsMock() as rsps:
        rsps.post(STATUS_URL, status=502, body="<html><h1>502 Bad Gateway</h1></html>")
        with pytest.raises(ServerError, match="Bad Gateway") as caught:
            MidjourneyClient("k", retries=0).status("A" * 21)
    assert (caught.value.http_status, caught.value.code) == (502, None)


def test_a_403_is_an_authentication_error() -> None:
    with responses.RequestsMock() as rsps:
        rsps.post(STATUS_URL, status=403, json={"status": 403, "message": "banned", "data": None})
        with pytest.raises(AuthenticationError, match="banned"):
            MidjourneyClient("k").status("A" * 21)


def test_retry_after_as_an_http_date_is_honoured_and_capped() -> None:
    sleeps: list[float] = []
    with responses.RequestsMock() as rsps:
        rsps.post(STATUS_URL, status=429, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})
        rsps.post(STATUS_URL, json={"data": []})
        client = MidjourneyClient("k", sleep=sleeps.append, retries=RetryPolicy(max_retry_after=9))
        assert client.status("A" * 21) == []
    assert sleeps == [9]


@pytest.mark.parametrize(
    ("url", "body", "error"),
    [
        (SUBMIT_URL, {"status": 0, "message": "success", "data": {}}, SchemaMismatch),
        (SUBMIT_URL, [1, 2], SchemaMismatch),
        (SUBMIT_URL, {"status": 77, "message": "odd"}, APIError),
        (STATUS_URL, {"data": None}, SchemaMismatch),
        (STATUS_URL, {"data": [{"status": 1}]}, SchemaMismatch),
        (STATUS_URL, {"status": 500, "message": "boom", "data": None}, ServerError),
    ],
)
def test_unexpected_success_bodies_are_never_mistaken_for_success(
    url: str, body: object, error: type[MidjourneyError]
) -> None:
    with responses.RequestsMock() as rsps:
        rsps.post(url, json=body)
        client = MidjourneyClient("k", retries=0)
        with pytest.raises(error):
            client.submit("a cat") if url == SUBMIT_URL else client.status("A" * 21)


def test_error_strings_name_both_statuses() -> None:
    error = QuotaExceededError("submit-jobs: quota not enough", http_status=200, code=1001)
    assert str(error) == "submit-jobs: quota not enough (HTTP 200, code 1001)"
    assert str(ServerError("x", http_status=503, code=503)) == "x (HTTP 503)"
    assert str(TransportError("y")) == "y"


def test_a_submit_whose_answer_is_lost_is_not_sent_again(mj_mock: MockController) -> None:
    """The case the no-resubmit rule exists for: the task was created and charged, the answer
    was lost. A retry would create and charge a second task."""
    mj_mock.inject_fault("drop-after", endpoint="submit-jobs")
    client = MidjourneyClient(mj_mock.api_key, mj_mock.base_url)
    with pytest.raises(TransportError):
        client.submit("a cat")
    assert len(mj_mock.tasks) == 1
