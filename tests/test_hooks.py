"""hookUrl callbacks: one delivery per finished task, the retry schedule, the journal,
redelivery, refusals, hostile receivers, and many completions against a slow receiver."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

import schemas
from mock_server import Config, HookPolicy, ManualClock, MockController, MockServer
from mock_server.modes.inprocess import InProcessController, mock_midjourney
from mock_server.testing.controller import http_transport
from mock_server.testing.receiver import HookReceiverServer

SUBMIT = "/midjourney/v1/submit-jobs"
HOOK = "https://app.test/hooks/midjourney"


def _submit(mj: MockController, prompt: str = "a cat", hook: str = HOOK, **extra: Any) -> str:
    body = requests.post(
        mj.base_url + SUBMIT,
        json={"prompt": prompt, "hookUrl": hook, **extra},
        headers={"API-KEY": mj.api_key},
        timeout=10,
    ).json()
    task_id: str = body["data"]["taskId"]
    return task_id


def _journal(mj: MockController) -> list[dict[str, Any]]:
    hooks = mj.hooks
    schemas.validate("hook_attempts", {"hooks": hooks})
    return hooks


@pytest.fixture
def inproc() -> Iterator[InProcessController]:
    config = Config(api_keys={"k": 10_000}, clock=ManualClock(start=1_000_000.0))
    with mock_midjourney(config) as mj:
        yield mj


def test_one_delivery_per_finished_task_with_the_job_status_item(
    inproc: InProcessController,
) -> None:
    got: list[dict[str, Any]] = []
    inproc.on_hook("https://app.test/", lambda payload: got.append(payload) or 200)
    done = _submit(inproc, "a dog --ar 9:16")
    failed = _submit(inproc, "a dog --p 123123")
    silent = _submit(inproc, "no hook", hook="")
    inproc.advance(120)
    for payload in got:
        schemas.validate("hook_payload", payload)
        assert payload.keys() == {"status", "data"} and payload["status"] == 0
    items = [payload["data"] for payload in got]
    assert [p["taskId"] for p in items] == [failed, done]  # in the order they finished
    status = requests.post(
        inproc.base_url + "/midjourney/v1/job-status",
        json={"taskIds": [done]},
        headers={"API-KEY": inproc.api_key},
    ).json()["data"][0]
    assert items[1] == status, "the envelope holds exactly the task's job-status item"
    assert items[0]["failReason"].startswith("Invalid User ID")
    journal = _journal(inproc)
    assert {h["taskId"] for h in journal} == {done, failed} and silent not in str(journal)
    assert all(h["outcome"] == "delivered" and h["attempt"] == 1 for h in journal)


def test_bare_item_switch() -> None:
    config = Config(clock=ManualClock(), hooks=HookPolicy(envelope=False))
    with mock_midjourney(config) as mj:
        got: list[dict[str, Any]] = []
        mj.on_hook(HOOK, lambda payload: got.append(payload) or None)
        task_id = _submit(mj)
        mj.advance(60)
    schemas.validate("hook_payload", got[0])
    assert got[0]["taskId"] == task_id and got[0]["status"] == 1 and "data" not in got[0]


def test_retry_schedule_on_the_manual_clock(inproc: InProcessController) -> None:
    answers = iter([500, 503, 200])
    inproc.on_hook(HOOK, lambda payload: next(answers))
    task_id = _submit(inproc)
    finished_at = inproc.task(task_id)["dueAt"] / 1000  # to the millisecond
    inproc.advance(finished_at - inproc.now() + 0.001)
    assert [h["outcome"] for h in _journal(inproc)] == ["retrying", "pending"]
    inproc.advance(0.99)
    assert len(_journal(inproc)) == 2, "the first retry waits a full second"
    inproc.advance(0.01)
    inproc.advance(2)
    journal = _journal(inproc)
    assert [h["outcome"] for h in journal] == ["retrying", "retrying", "delivered"]
    assert [h["responseStatus"] for h in journal] == [500, 503, 200]
    assert [h["attempt"] for h in journal] == [1, 2, 3]
    gaps = [b["scheduledAt"] - a["scheduledAt"] for a, b in itertools.pairwise(journal)]
    assert gaps == [1000, 2000]


def test_gives_up_after_three_retries_at_1_2_4_seconds(inproc: InProcessController) -> None:
    inproc.on_hook(HOOK, lambda payload: 500)
    _submit(inproc)
    inproc.advance(600)
    journal = _journal(inproc)
    assert [h["outcome"] for h in journal] == ["retrying"] * 3 + ["failed"]
    gaps = [b["scheduledAt"] - a["scheduledAt"] for a, b in itertools.pairwise(journal)]
    assert gaps == [1000, 2000, 4000]


def test_a_receiver_that_raises_is_a_failed_attempt(inproc: InProcessController) -> None:
    def broken(payload: dict[str, Any]) -> int:
        raise RuntimeError("receiver bug")

    inproc.on_hook(HOOK, broken)
    _submit(inproc)
    inproc.advance(60)
    first = _journal(inproc)[0]
    assert first["outcome"] == "retrying" and "receiver bug" in first["error"]


def test_redelivery_sends_the_same_payload_again(inproc: InProcessController) -> None:
    got: list[dict[str, Any]] = []
    inproc.on_hook(HOOK, lambda payload: got.append(payload) or 200)
    _submit(inproc)
    inproc.advance(60)
    original = _journal(inproc)[0]
    again = inproc.redeliver(original["id"])
    schemas.validate("hook_attempt", again)
    inproc.advance(0)
    assert len(got) == 2 and got[0] == got[1]
    assert _journal(inproc)[-1]["outcome"] == "delivered"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("<string>", "http and https"),
        ("ftp://files.test/x", "http and https"),
        ("http://", "http and https"),
    ],
)
def test_non_http_urls_are_refused_not_tried(
    inproc: InProcessController, url: str, reason: str
) -> None:
    _submit(inproc, hook=url)
    inproc.advance(60)
    (attempt,) = _journal(inproc)
    assert attempt["outcome"] == "refused" and reason in attempt["error"]


def test_allow_list_of_hosts() -> None:
    config = Config(clock=ManualClock(), hooks=HookPolicy(allowed_hosts=frozenset({"ok.test"})))
    with mock_midjourney(config) as mj:
        _submit(mj, hook="https://ok.test/h")
        _submit(mj, hook="https://evil.test/h")
        mj.advance(60)
        outcomes = {h["url"]: h["outcome"] for h in mj.hooks}
    assert outcomes == {"https://ok.test/h": "delivered", "https://evil.test/h": "refused"}


def test_reset_forgets_the_journal(inproc: InProcessController) -> None:
    _submit(inproc)
    inproc.advance(60)
    inproc.reset()
    assert inproc.hooks == []


def test_in_process_delivers_to_a_real_loopback_receiver_synchronously(
    mj_mock: InProcessController, mj_hook_receiver: HookReceiverServer
) -> None:
    task_id = _submit(mj_mock, hook=mj_hook_receiver.url)
    mj_mock.advance(60)
    (hook,) = mj_hook_receiver.received  # already there: no waiting in-process
    assert hook.task_id == task_id
    assert hook.headers["Content-Type"] == "application/json"
    assert hook.headers["User-Agent"].startswith("mj-mock/")


def test_server_mode_delivery_and_retry(
    mj_server: MockController, mj_hook_receiver: HookReceiverServer
) -> None:
    mj_hook_receiver.fail_next(1, status=502)
    task_id = _submit(mj_server, hook=mj_hook_receiver.url)
    mj_server.advance(60)  # the retry, 1 s after the failure, falls inside this minute
    received = mj_hook_receiver.wait_for(2)
    assert [h.task_id for h in received] == [task_id, task_id]
    assert [h.answered for h in received] == [502, 200]
    assert [h["outcome"] for h in _journal(mj_server)] == ["retrying", "delivered"]
    assert received[1].headers["X-Mj-Mock-Attempt"] == "2"


def test_a_hanging_receiver_times_out_and_does_not_block_the_api() -> None:
    config = Config(
        api_keys={"k": 100},
        clock=ManualClock(),
        hooks=HookPolicy(attempt_timeout=0.3, retries=0),
    )
    with HookReceiverServer() as receiver, MockServer(config, port=0) as server:
        receiver.slow_down(2.0)
        mj = MockController(http_transport(server.url), base_url=server.url, api_key="k")
        _submit(mj, hook=receiver.url)
        mj.advance(60)
        (attempt,) = _journal(mj)
    assert attempt["outcome"] == "failed" and "timed out" in attempt["error"]


@pytest.fixture
def huge_answer_url() -> Iterator[str]:
    """A receiver that answers 10 MB."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Length", str(10 * 2**20))])
        return iter([b"x" * 2**20] * 10)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}/"
    server.shutdown()
    thread.join()


def test_a_huge_answer_is_not_read(mj_server: MockController, huge_answer_url: str) -> None:
    _submit(mj_server, hook=huge_answer_url)
    mj_server.advance(60)
    (attempt,) = _journal(mj_server)
    assert attempt["outcome"] == "delivered" and attempt["responseStatus"] == 200


def test_200_completions_with_a_slow_receiver_lose_nothing() -> None:
    config = Config(api_keys={"k": 10_000}, clock=ManualClock(), max_in_progress=1000)
    with HookReceiverServer() as receiver, MockServer(config, port=0, threads=8) as server:
        receiver.slow_down(0.02)
        mj = MockController(http_transport(server.url), base_url=server.url, api_key="k")
        task_ids = [_submit(mj, f"cat {i}", hook=receiver.url) for i in range(200)]
        advancing = threading.Thread(target=mj.advance, args=(60,))
        advancing.start()
        # The API keeps answering while deliveries are under way.
        probes = 0
        while advancing.is_alive() and probes < 50:
            response = requests.post(
                server.url + "/midjourney/v1/job-status",
                json={"taskIds": task_ids[:5]},
                headers={"API-KEY": "k"},
                timeout=5,
            )
            assert response.status_code == 200
            probes += 1
            time.sleep(0.01)
        advancing.join(timeout=60)
        received = receiver.wait_for(200, timeout=30)
        journal = mj.hooks
    assert sorted(h.task_id or "" for h in received) == sorted(task_ids)
    assert len(journal) == 200 and all(h["outcome"] == "delivered" for h in journal)
    assert probes > 0
