"""Issue 10: `image`, the hook envelope, string status on envelope codes only, per-run seeds."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
from typing import Any

import pytest
import requests
from PIL import Image

import schemas
from client import Task
from mock_server import Config, HookPolicy, ManualClock, mock_midjourney
from mock_server.cli import build_config
from mock_server.compose import create_app
from mock_server.domain.lifecycle import MidjourneyBackend, SubmitRequest
from mock_server.records import TaskStatus
from mock_server.testing.receiver import ReceivedHook
from mock_server.web.wire import status_code

from .support import SERVE

KEY = "fidelity-key"
SUBMIT = "/midjourney/v1/submit-jobs"
STATUS = "/midjourney/v1/job-status"
HOOK = "https://app.test/hook"


def _config(**changes: Any) -> Config:
    return Config(api_keys={KEY: 1000}, clock=ManualClock(), seed=5, **changes)


# --- image -----------------------------------------------------------------------------------


def test_completed_items_carry_image_the_grid_url_and_it_is_served_in_process() -> None:
    with mock_midjourney(_config()) as mj:
        task_id = requests.post(
            mj.base_url + SUBMIT,
            json={"prompt": "a futuristic city at sunset --ar 16:9 --niji 7"},
            headers={"API-KEY": KEY},
        ).json()["data"]["taskId"]
        mj.advance(60)
        item = requests.post(
            mj.base_url + STATUS, json={"taskIds": [task_id]}, headers={"API-KEY": KEY}
        ).json()["data"][0]
        job_id = item["jobId"]
        assert item["image"] == f"https://cdn.midjourney.com/{job_id}/grid_0.png"
        schemas.validate("task", item)
        grid = requests.get(item["image"])
        cells = [requests.get(url) for url in item["images"]]
    assert grid.status_code == 200 and grid.headers["Content-Type"] == "image/png"
    picture = Image.open(io.BytesIO(grid.content)).convert("RGB")
    assert picture.size == (2 * 1456, 2 * 816)
    # The grid is the four images side by side: each quadrant has its image's colour.
    corners = [(0, 0), (1456, 0), (0, 816), (1456, 816)]
    for (left, top), cell in zip(corners, cells, strict=True):
        one = Image.open(io.BytesIO(cell.content)).convert("RGB")
        assert one.size == (1456, 816)
        assert picture.getpixel((left + 700, top + 400)) == one.getpixel((0, 0))


def test_image_is_absent_until_completed_and_unknown_names_are_json_404s() -> None:
    with mock_midjourney(_config()) as mj:
        task_id = requests.post(
            mj.base_url + SUBMIT, json={"prompt": "A cute kitten"}, headers={"API-KEY": KEY}
        ).json()["data"]["taskId"]
        running = requests.post(
            mj.base_url + STATUS, json={"taskIds": [task_id]}, headers={"API-KEY": KEY}
        ).json()["data"][0]
        assert running == {"taskId": task_id, "status": 0}
        job_id = mj.task(task_id)["jobId"]
        early = requests.get(f"https://cdn.midjourney.com/{job_id}/grid_0.png")
        mj.advance(60)
        wrong = requests.get(f"https://cdn.midjourney.com/{job_id}/grid_1.png")
    assert early.status_code == 404 and early.json()["data"] is None
    assert wrong.status_code == 404 and "grid_0.png" in wrong.json()["message"]


def test_the_client_exposes_image() -> None:
    with mock_midjourney(_config()) as mj:
        from client import MidjourneyClient

        client = MidjourneyClient(KEY, mj.base_url)
        task_id = client.submit("a boy play with a girl --niji 7")
        mj.advance(60)
        (task,) = client.status(task_id)
    assert task.image is not None and task.image.endswith(f"/{task.job_id}/grid_0.png")
    assert Task.from_dict({"taskId": "t", "status": 0}).image is None


def test_the_docs_sample_without_image_still_validates() -> None:
    import fixtures

    body = fixtures.load("quickstart/job_status_response.json")
    assert all("image" not in item for item in body["data"])
    schemas.validate("job_status_response", body)


# --- string status: envelope codes only ------------------------------------------------------


def test_status_code_renders_enum_members_as_their_number_on_every_python() -> None:
    as_string = _config(status_as_string=True)
    assert status_code(TaskStatus.COMPLETED, as_string) == "1"
    assert status_code(TaskStatus.FAILED, _config()) == 2
    assert type(status_code(TaskStatus.FAILED, _config())) is int


def test_status_as_string_switches_envelopes_and_never_task_statuses() -> None:
    config = _config(status_as_string=True, job_status_envelope=True)
    backend = MidjourneyBackend(config)
    http = create_app(backend=backend).test_client()
    headers = {"API-KEY": KEY}
    submitted = http.post(SUBMIT, json={"prompt": "A cute kitten"}, headers=headers)
    assert submitted.get_data(as_text=True).replace(" ", "").startswith('{"status":"0",')
    done = submitted.get_json()["data"]["taskId"]
    failed = http.post(SUBMIT, json={"prompt": "x --p 123123"}, headers=headers)
    failed_id = failed.get_json()["data"]["taskId"]
    running = http.post(SUBMIT, json={"prompt": "y", "mode": "relaxed"}, headers=headers)
    running_id = running.get_json()["data"]["taskId"]
    backend.advance(55)
    answer = http.post(STATUS, json={"taskIds": [done, failed_id, running_id]}, headers=headers)
    text = answer.get_data(as_text=True)
    assert "TaskStatus" not in text
    body = json.loads(text)
    schemas.validate("job_status_response", body)
    assert body["status"] == "0"
    assert [item["status"] for item in body["data"]] == [1, 2, 0]
    assert all(type(item["status"]) is int for item in body["data"])
    error = http.post(SUBMIT, json={"prompt": ""}, headers=headers)
    assert error.status_code == 400 and re.match(r'\{\s*"status":\s*"400"', error.get_data(True))


def test_status_as_string_in_the_hook_envelope_keeps_the_task_status_an_integer() -> None:
    with mock_midjourney(_config(status_as_string=True)) as mj:
        got: list[str] = []
        mj.on_hook("https://app.test/", lambda payload: got.append(json.dumps(payload)) or 200)
        requests.post(
            mj.base_url + SUBMIT,
            json={"prompt": "A cute kitten", "hookUrl": HOOK},
            headers={"API-KEY": KEY},
        )
        mj.advance(60)
    payload = json.loads(got[0])
    assert payload["status"] == "0" and payload["data"]["status"] == 1
    schemas.validate("hook_payload", payload)


# --- the hook envelope -----------------------------------------------------------------------


def _one_hook(config: Config) -> dict[str, Any]:
    got: list[dict[str, Any]] = []
    with mock_midjourney(config) as mj:
        mj.on_hook("https://app.test/", lambda payload: got.append(payload) or 200)
        requests.post(
            mj.base_url + SUBMIT,
            json={"prompt": "a boy play with a girl --niji 7", "hookUrl": HOOK},
            headers={"API-KEY": KEY},
        )
        mj.advance(60)
    (payload,) = got
    schemas.validate("hook_payload", payload)
    return payload


def test_the_hook_body_is_the_guides_envelope_by_default() -> None:
    payload = _one_hook(_config())
    assert list(payload) == ["status", "data"] and payload["status"] == 0
    assert payload["data"]["status"] == 1 and payload["data"]["image"].endswith("/grid_0.png")


def test_the_bare_item_is_a_setting_and_a_cli_flag() -> None:
    bare = _one_hook(_config(hooks=HookPolicy(envelope=False)))
    assert bare["status"] == 1 and "data" not in bare
    options: dict[str, Any] = {
        "config_file": None,
        "api_keys": (),
        "clock": None,
        "time_scale": None,
        "seed": None,
    }
    assert build_config(**options, flags={"hook_envelope": False}).hooks.envelope is False
    assert build_config(**options, flags={}).hooks.envelope is True
    assert Config.from_mapping({"hooks": {"envelope": False}}).hooks.envelope is False


@pytest.mark.parametrize(
    "body",
    [
        {"status": 0, "data": {"taskId": "t1", "status": 2}},
        {"taskId": "t1", "status": 2},
        {"status": "0", "message": "success", "data": {"taskId": "t1", "status": 2}},
    ],
)
def test_the_receiver_reads_either_form(body: dict[str, Any]) -> None:
    hook = ReceivedHook("/hook", {}, json.dumps(body).encode(), 200)
    assert (hook.task_id, hook.status) == ("t1", 2)


def test_the_receiver_ignores_what_is_not_a_task() -> None:
    assert ReceivedHook("/h", {}, b"[1]", 200).status is None
    assert ReceivedHook("/h", {}, b'{"taskId": "t", "status": "1"}', 200).status is None


# --- seeds -----------------------------------------------------------------------------------


def _first_ids(config: Config) -> list[str]:
    backend = MidjourneyBackend(config)
    return [backend.submit(KEY, SubmitRequest(prompt="A cute kitten")).task_id for _ in range(3)]


def test_ids_differ_per_run_unless_a_seed_is_given() -> None:
    def unseeded() -> Config:
        return Config(api_keys={KEY: 100}, clock=ManualClock())

    first, second = unseeded(), unseeded()
    assert first.seed != second.seed
    assert _first_ids(first) != _first_ids(second)
    replay = Config(api_keys={KEY: 100}, clock=ManualClock(), seed=first.seed)
    assert _first_ids(replay) == _first_ids(first)
    assert Config.from_mapping({"seed": None}).seed >= 0
    with pytest.raises(ValueError, match="seed must be >= 0"):
        Config(seed=-1)


def test_health_reports_the_seed() -> None:
    http = create_app(backend=MidjourneyBackend(_config())).test_client()
    health = http.get("/__mock/health").get_json()
    schemas.validate("control_health", health)
    assert health["seed"] == 5


def _serve(*args: str) -> tuple[subprocess.Popen[str], str, int]:
    command = list(SERVE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MJ_MOCK_")}
    process = subprocess.Popen(
        [*command, "--port", "0", "--clock", "manual", "--api-key", f"{KEY}:100", *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**env, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    banner = process.stdout.readline()
    found = re.fullmatch(r"mj-mock serving (\S+)  \(clock: manual, seed (\d+)\)\n", banner)
    if found is None:
        process.kill()
        process.wait(timeout=10)
        raise AssertionError(f"unexpected banner {banner!r}")
    return process, found.group(1), int(found.group(2))


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


def test_the_banner_prints_the_seed_and_seed_n_replays_the_run() -> None:
    process, url, seed = _serve()
    try:
        assert requests.get(url + "/__mock/health", timeout=10).json()["seed"] == seed
        first = requests.post(
            url + SUBMIT, json={"prompt": "A cute kitten"}, headers={"API-KEY": KEY}, timeout=10
        ).json()["data"]["taskId"]
    finally:
        _stop(process)
    process, url, replayed_seed = _serve("--seed", str(seed))
    try:
        again = requests.post(
            url + SUBMIT, json={"prompt": "A cute kitten"}, headers={"API-KEY": KEY}, timeout=10
        ).json()["data"]["taskId"]
    finally:
        _stop(process)
    assert replayed_seed == seed and again == first
