"""`mj-mock proxy` against local upstreams only: a provider that differs from the mock in every
undocumented way, the mock itself, and a broken one. Nothing here reaches the network."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from contract_tests.proxy import RecordingProxy
from mock_server import Config, MockServer
from mock_server.cli import main
from mock_server.config import load_config_file
from mock_server.domain.clock import ManualClock
from mock_server.modes.replay import load_replay
from mock_server.testing.receiver import HookReceiverServer
from schemas.recording import load_observations, load_records
from tests.contract_support.broken import drop_field
from tests.contract_support.different import different
from tests.contract_support.serving import live_config

KEY = "contract-live-key"
SUBMIT = "/midjourney/v1/submit-jobs"
STATUS = "/midjourney/v1/job-status"
UNKNOWN = "zzzzzzzzzzzzzzzzzzzzz"


@contextlib.contextmanager
def upstream(
    clock: ManualClock, wrap: Callable[[Any], Any] | None = None, **overrides: Any
) -> Iterator[MockServer]:
    """A provider stand-in on loopback on `clock`, its control API on for the test only."""
    config = live_config(0).with_overrides(clock=clock, control_enabled=True, **overrides)
    with MockServer(config, port=0, wrap_app=wrap) as server:
        yield server


def post(base: str, path: str, body: Any, key: str = KEY) -> requests.Response:
    return requests.post(base + path, json=body, headers={"API-KEY": key}, timeout=10)


def session(base: str, up: MockServer, hook_url: str) -> dict[str, Any]:
    """What a client does: two submits (one that fails later), polls, an unknown id, a bad key."""
    fox = post(base, SUBMIT, {"prompt": "a red fox --ar 16:9", "hookUrl": hook_url}).json()
    cat = post(base, SUBMIT, {"prompt": "a cat --p 123123"}).json()
    ids = [fox["data"]["taskId"], cat["data"]["taskId"]]
    early = post(base, STATUS, {"taskIds": ids})
    up.backend.advance(60)
    late = post(base, STATUS, {"taskIds": [*ids, UNKNOWN]})
    bad_key = post(base, SUBMIT, {"prompt": "a cat"}, key="not-a-key-of-theirs")
    return {"ids": ids, "early": early, "late": late, "bad_key": bad_key}


def drift(directory: Path, config_out: Path) -> Any:
    return CliRunner().invoke(main, ["drift", str(directory), "--write-config", str(config_out)])


def test_a_session_against_a_different_provider_is_recorded_and_calibrates_the_mock(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    record = tmp_path / "rec"
    with (
        upstream(clock, different, status_as_string=True) as up,
        RecordingProxy(up.url, record, port=0, clock=clock) as proxy,
        HookReceiverServer() as receiver,
    ):
        seen = session(proxy.url, up, receiver.url)
        (hook,) = receiver.wait_for(1)
        # The client got the provider's answer unchanged: the same bytes as asked directly.
        direct = post(up.url, STATUS, {"taskIds": [*seen["ids"], UNKNOWN]})
        assert seen["late"].content == direct.content
        assert seen["late"].headers["Content-Type"] == direct.headers["Content-Type"]
        assert (seen["bad_key"].status_code, seen["bad_key"].json()) == (
            403,
            {"status": 403, "message": "Forbidden"},
        )
        # The provider called the proxy's listener, which forwarded to the original URL.
        (attempt,) = up.backend.hooks.attempts() if up.backend.hooks else []
        assert attempt.url.startswith(proxy.url + "/__proxy/hooks/")
        assert hook.task_id == seen["ids"][0] and hook.status == 1
        stats = proxy.stats()
    assert stats["violations"] == {}  # it keeps every documented fact
    assert stats["exchanges"] == {"submit-jobs": 3, "job-status": 2, "hook": 1}

    records = [data for _, data in load_records(record)]
    assert [r["endpoint"] for r in records] == [
        "submit-jobs",
        "submit-jobs",
        "job-status",
        "hook",
        "job-status",
        "submit-jobs",
    ]
    (hook_record,) = [r for r in records if r["endpoint"] == "hook"]
    assert hook_record["body"] == hook.payload
    assert hook_record["path"] == receiver.url  # the original hookUrl
    texts = [p.read_text() for p in record.iterdir()]
    assert not any(KEY in text or "not-a-key-of-theirs" in text for text in texts)
    submit_record = next(r for r in records if r["endpoint"] == "submit-jobs")
    assert submit_record["request_body"]["hookUrl"] == receiver.url

    observed = {o["observation"]: o["value"] for o in load_observations(record)}
    assert observed["envelope status type"] == "string"
    assert observed["submit answers carry message"] is False
    assert observed["unknown ids"] == "reported"
    assert observed["failed items carry createdAt"] is True

    result = drift(record, tmp_path / "mock.toml")
    assert result.exit_code == 1, result.output  # `seed` is a field the schemas don't know
    assert "job-status (HTTP 200) data[].seed" in result.output
    assert "no mock setting for" not in result.output  # every difference has its setting
    settings = load_config_file(tmp_path / "mock.toml")
    assert settings["status_as_string"] is True
    assert settings["job_status_envelope"] is True
    assert settings["submit_message"] is False
    assert settings["error_data"] is False
    assert settings["unknown_ids"] == "report"
    assert settings["extra_item_fields"] == {"seed": 1234567}
    # The calibrated mock answers a submit the way the recorded provider did.
    calibrated = Config.from_mapping({**settings, "api_keys": [KEY], "clock": "manual"})
    with MockServer(calibrated, port=0) as mock:
        answer = post(mock.url, SUBMIT, {"prompt": "a cat"}).json()
    assert set(answer) == {"status", "data"} and answer["status"] == "0"


def test_a_session_against_the_mock_shows_no_drift(tmp_path: Path) -> None:
    clock = ManualClock()
    record = tmp_path / "rec"
    with (
        upstream(clock) as up,
        RecordingProxy(up.url, record, port=0, clock=clock) as proxy,
        HookReceiverServer() as receiver,
    ):
        session(proxy.url, up, receiver.url)
        receiver.wait_for(1)
        assert proxy.stats()["violations"] == {}
    result = drift(record, tmp_path / "mock.toml")
    assert result.exit_code == 0, result.output
    assert "no drift" in result.output
    observed = {o["observation"]: o for o in load_observations(record)}
    assert all(o["matches"] for o in observed.values()), observed
    assert observed["unknown ids"]["value"] == "left out"
    calibrated = Config.from_mapping(load_config_file(tmp_path / "mock.toml"))
    default = Config()
    for name in ("status_as_string", "job_status_envelope", "submit_message", "error_data"):
        assert getattr(calibrated, name) == getattr(default, name), name
    assert calibrated.unknown_ids == "omit" and calibrated.extra_item_fields == {}


def test_a_violation_is_counted_and_the_answer_still_passes_unchanged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock()
    with (
        upstream(clock, drop_field) as up,
        RecordingProxy(up.url, tmp_path / "rec", port=0, clock=clock) as proxy,
    ):
        task_id = post(proxy.url, SUBMIT, {"prompt": "a fox"}).json()["data"]["taskId"]
        up.backend.advance(60)
        through = post(proxy.url, STATUS, {"taskIds": [task_id]})
        direct = post(up.url, STATUS, {"taskIds": [task_id]})
        stats = proxy.stats()
    assert through.content == direct.content and "mjPrompt" not in through.json()["data"][0]
    assert stats["violations"] == {"job-status": 1}
    assert any("mjPrompt" in p and "consumer" in p for p in stats["problems"])
    logged = [r.getMessage() for r in caplog.records if r.name == "mj_mock.proxy"]
    assert len(logged) == 1 and "mjPrompt" in logged[0]


def test_what_the_proxy_refuses_is_in_the_api_s_error_shape(tmp_path: Path) -> None:
    with RecordingProxy("http://127.0.0.1:9", tmp_path / "rec", port=0) as proxy:
        down = post(proxy.url, SUBMIT, {"prompt": "a cat"})
        elsewhere = requests.get(proxy.url + "/__mock/health", timeout=10)
        stray = requests.post(proxy.url + "/__proxy/hooks/nope", json={}, timeout=10)
    assert (down.status_code, down.json()["status"], down.json()["data"]) == (502, 502, None)
    assert "did not answer" in down.json()["message"]
    assert (elsewhere.status_code, elsewhere.json()["status"]) == (404, 404)
    assert (stray.status_code, stray.json()["status"]) == (404, 404)


def test_the_proxy_command_is_listed() -> None:
    result = CliRunner().invoke(main, ["proxy", "--help"])
    assert result.exit_code == 0
    assert "--upstream" in result.output and "--record" in result.output
    assert "\n  proxy " in CliRunner().invoke(main, ["--help"]).output


# -- replay ------------------------------------------------------------------------------------


def _record_session(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    clock = ManualClock()
    record = tmp_path / "rec"
    with (
        upstream(clock, different, status_as_string=True) as up,
        RecordingProxy(up.url, record, port=0, clock=clock) as proxy,
        HookReceiverServer() as receiver,
    ):
        seen = session(proxy.url, up, receiver.url)
        receiver.wait_for(1)
    return record, seen


@contextlib.contextmanager
def replaying(record: Path) -> Iterator[MockServer]:
    clock = ManualClock()
    config = Config(clock=clock, seed=5)
    replay = load_replay(record, clock, config.time_scale)
    with MockServer(config, port=0, wrap_app=replay.wrap) as mock:
        mock.backend.on_reset(replay.reset)
        yield mock


def test_replay_answers_a_client_exactly_as_recorded(tmp_path: Path) -> None:
    record, recorded = _record_session(tmp_path)
    with replaying(record) as mock:
        replayed = session(mock.url, mock, "http://127.0.0.1:9/hook")
    assert replayed["ids"] == recorded["ids"]
    for name in ("early", "late", "bad_key"):
        got, want = replayed[name], recorded[name]
        assert (got.status_code, got.json()) == (want.status_code, want.json()), name
        assert got.headers["Content-Type"] == want.headers["Content-Type"]
    late = replayed["late"].json()
    # The provider's shape: a string envelope, its own field, its reversed order, unknown reported.
    assert late["status"] == "0" and [i["status"] for i in late["data"]] == [2, 1, 2]
    assert late["data"][1]["seed"] == 1234567 and late["data"][2]["taskId"] == UNKNOWN


def test_replay_follows_the_recorded_timeline_on_the_mock_s_clock(tmp_path: Path) -> None:
    record, recorded = _record_session(tmp_path)
    fox_early, fox_late = (
        next(i for i in recorded[name].json()["data"] if i["taskId"] == recorded["ids"][0])
        for name in ("early", "late")
    )
    with replaying(record) as mock:
        fox = post(mock.url, SUBMIT, {"prompt": "anything"}).json()["data"]["taskId"]
        assert fox == recorded["ids"][0]
        mock.backend.advance(59.9)  # the recording polled at 0 s and at 60 s
        assert post(mock.url, STATUS, {"taskIds": [fox]}).json()["data"] == [fox_early]
        mock.backend.advance(0.1)
        assert post(mock.url, STATUS, {"taskIds": [fox]}).json()["data"] == [fox_late]
        assert post(mock.url, STATUS, {"taskIds": [recorded["ids"][1]]}).json()["data"] == []
        for _ in range(2):
            post(mock.url, SUBMIT, {"prompt": "more"})
        beyond = post(mock.url, SUBMIT, {"prompt": "one too many"})
        assert (beyond.status_code, beyond.json()["data"]) == (409, None)
        assert "holds 3 submits" in beyond.json()["message"]
        requests.post(mock.url + "/__mock/reset", timeout=10)  # starts the replay over
        again = post(mock.url, SUBMIT, {"prompt": "again"}).json()
    assert again["data"]["taskId"] == recorded["ids"][0]
    assert fox_early["status"] == 0 and fox_late["status"] == 1 and len(fox_late["images"]) == 4


def test_serve_replay_needs_records(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--replay", str(tmp_path)])
    assert result.exit_code == 2
    assert f"--replay: no recorded submit-jobs answers in {tmp_path}" in result.output


def test_mj_mock_serve_replay_answers_the_recorded_submit(tmp_path: Path) -> None:
    record, recorded = _record_session(tmp_path)
    command = [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--clock", "manual"]
    process = subprocess.Popen(
        [*command, "--replay", str(record)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[2]
        assert process.stdout.readline().startswith("  API-KEY")
        fox = post(url, SUBMIT, {"prompt": "a red fox --ar 16:9"})
        early = post(url, STATUS, {"taskIds": recorded["ids"][:1]})
    finally:
        process.terminate()
        process.communicate(timeout=15)
    assert fox.json()["data"]["taskId"] == recorded["ids"][0]
    assert early.json() == {
        "status": "0",
        "message": "ok",
        "data": [recorded["early"].json()["data"][1]],
    }
