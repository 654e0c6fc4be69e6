"""The shipped scenarios drive the timelines they describe, through every way of loading one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

import schemas
from client import ConcurrencyLimitError, MidjourneyClient
from mock_server import Config
from mock_server.domain.clock import ManualClock
from mock_server.domain.scenario import ScenarioError, load_scenario, shipped_scenarios
from mock_server.modes.inprocess import mock_midjourney
from mock_server.testing.controller import MockController

SUBMIT = "/midjourney/v1/submit-jobs"
STATUS = "/midjourney/v1/job-status"


def submit(mj: MockController, prompt: str, key: str, **extra: Any) -> dict[str, Any]:
    answer = requests.post(
        mj.base_url + SUBMIT, json={"prompt": prompt, **extra}, headers={"API-KEY": key}
    )
    body: dict[str, Any] = answer.json()
    return body


def status(mj: MockController, task_id: str, key: str) -> requests.Response:
    return requests.post(
        mj.base_url + STATUS, json={"taskIds": [task_id]}, headers={"API-KEY": key}
    )


def test_every_shipped_scenario_is_valid_and_named_after_its_file() -> None:
    folder = Path(__file__).parent.parent / "fixtures" / "scenarios"
    names = sorted(p.stem for p in folder.glob("*.json"))
    assert (
        names
        == shipped_scenarios()
        == [
            "concurrency-retry",
            "flaky-status",
            "quota-exhaustion",
            "receiver-fails-once",
            "task-timeout",
        ]
    )
    for path in folder.glob("*.json"):
        document = json.loads(path.read_text())
        assert schemas.errors("scenario", document) == []
        assert document["name"] == path.stem


@pytest.mark.mj_scenario("quota-exhaustion")
def test_quota_runs_out_mid_batch_and_a_refund_lets_the_retry_in(mj_mock: MockController) -> None:
    answers = [submit(mj_mock, f"frame {n}", "batch-key") for n in range(1, 6)]
    assert [a["status"] for a in answers] == [0, 0, 0, 1001, 1001]
    assert mj_mock.quota("batch-key") == 0
    ids = [a["data"]["taskId"] for a in answers[:3]]
    mj_mock.advance(30)
    assert [mj_mock.task(i)["status"] for i in ids] == [1, 1, 0]
    assert submit(mj_mock, "frame 4", "batch-key")["status"] == 1001
    mj_mock.advance(10)  # t=40: the third task fails and is refunded
    third = mj_mock.task(ids[2])
    assert (third["status"], third["failReason"]) == (2, "Job failed: upstream render error")
    assert mj_mock.quota("batch-key") == 2
    assert submit(mj_mock, "frame 4", "batch-key")["status"] == 0


@pytest.mark.mj_scenario("concurrency-retry")
def test_the_eleventh_job_is_refused_until_a_retry_after_the_first_finish(
    mj_server: MockController,
) -> None:
    client = MidjourneyClient("team-key", mj_server.base_url)
    ids = [client.submit(f"tile {n}") for n in range(10)]
    with pytest.raises(ConcurrencyLimitError):
        client.submit("tile 10")
    mj_server.advance(44)
    with pytest.raises(ConcurrencyLimitError):
        client.submit("tile 10")
    mj_server.advance(1)  # every task takes 45 s
    eleventh = client.submit("tile 10")
    assert [t.status for t in client.status(ids)] == [1] * 10
    mj_server.advance(45)
    assert client.status(eleventh)[0].status == 1


@pytest.mark.mj_scenario("flaky-status")
def test_job_status_answers_503_twice_from_t30(mj_mock: MockController) -> None:
    key = mj_mock.api_key
    task_id = submit(mj_mock, "a lighthouse", key)["data"]["taskId"]
    mj_mock.advance(20)
    assert status(mj_mock, task_id, key).json()["data"][0]["status"] == 1
    mj_mock.advance(9.9)
    assert status(mj_mock, task_id, key).status_code == 200
    mj_mock.advance(0.1)
    assert [status(mj_mock, task_id, key).status_code for _ in range(3)] == [503, 503, 200]


@pytest.mark.mj_scenario("task-timeout")
def test_a_stuck_task_fails_at_its_timeout_and_is_refunded(mj_mock: MockController) -> None:
    key = mj_mock.api_key
    before = mj_mock.quota()
    stuck = submit(mj_mock, "a stuck render of a city", key, timeout=300)["data"]["taskId"]
    fine = submit(mj_mock, "a city", key, timeout=300)["data"]["taskId"]
    mj_mock.advance(299)
    assert (mj_mock.task(stuck)["status"], mj_mock.task(fine)["status"]) == (0, 1)
    mj_mock.advance(1)
    item = status(mj_mock, stuck, key).json()["data"][0]
    assert (item["status"], item["failReason"]) == (2, "Task timed out after 300 seconds")
    assert mj_mock.quota() == before - 2


@pytest.mark.mj_scenario("receiver-fails-once")
def test_a_receiver_that_fails_once_gets_the_retry(
    mj_server: MockController, mj_hook_receiver: Any
) -> None:
    key = mj_server.api_key
    task_id = submit(mj_server, "a cat", key, hookUrl=mj_hook_receiver.url)["data"]["taskId"]
    with pytest.raises(AssertionError, match=r"expected hook statuses \[503, 200\], got \[\]"):
        mj_server.assert_scenario_met()
    mj_server.advance(60)
    first, second = mj_hook_receiver.wait_for(2)
    assert first.task_id == second.task_id == task_id
    assert [h["responseStatus"] for h in mj_server.hooks] == [503, 200]
    mj_server.assert_scenario_met()


def test_a_reset_restarts_the_scenario_and_unload_stops_it() -> None:
    with mock_midjourney(scenario="flaky-status") as mj:
        key = mj.api_key
        mj.advance(20)
        mj.reset()  # t=0 again: the fault is 30 s from now, not 10
        mj.advance(29)
        task_id = submit(mj, "b", key)["data"]["taskId"]
        assert status(mj, task_id, key).status_code == 200
        mj.advance(1)
        assert status(mj, task_id, key).status_code == 503
        mj.unload_scenario()
        mj.reset()
        late = submit(mj, "c", key)["data"]["taskId"]
        mj.advance(30)
        # The mock's own plan again: no fault at t=30, and a fast job takes 30-50 s, not 20.
        assert status(mj, late, key).status_code == 200
        assert mj.scenario == {"name": None, "startedAt": None, "tasks": [], "expectations": []}


def test_the_control_api_loads_a_document_and_names_its_rules(mj_server: MockController) -> None:
    document = {
        "name": "third-fails",
        "tasks": [{"order": 3, "outcome": "failed", "after": 40, "reason": "R"}],
    }
    view = mj_server.load_scenario(document)
    assert view["name"] == "third-fails"
    ids = [submit(mj_server, f"p{n}", mj_server.api_key)["data"]["taskId"] for n in range(4)]
    assert [t["rule"] for t in mj_server.scenario["tasks"]] == [None, None, 0, None]
    mj_server.advance(40)
    third = mj_server.task(ids[2])
    assert (third["status"], third["failReason"]) == (2, "R")
    assert schemas.errors("control_scenario", mj_server.scenario) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "no-such-scenario"}, "no shipped scenario 'no-such-scenario'"),
        ({"scenario": {"name": "x", "tasks": [{"outcome": "failed", "after": 1}]}}, "reason"),
        ({"scenario": {"name": "x", "faults": [{"fault": {"kind": "boom"}}]}}, "kind"),
        ({}, "is required"),
    ],
)
def test_a_bad_scenario_is_a_json_error(
    mj_server: MockController, body: dict[str, Any], message: str
) -> None:
    answer = requests.post(mj_server.base_url + "/__mock/scenario", json=body)
    assert answer.status_code in (400, 404)
    assert answer.json()["status"] == answer.status_code
    assert message in answer.json()["message"]
    assert answer.json()["data"] is None


def test_mock_midjourney_loads_a_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"name": "mine", "accounts": [{"key": "k2", "quota": 4}]}))
    config = Config(clock=ManualClock(), seed=1)
    with mock_midjourney(config, scenario=path) as mj:
        assert mj.quota("k2") == 4
        assert mj.scenario["name"] == "mine"


def test_a_broken_scenario_file_fails_where_it_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(ScenarioError, match=r"bad\.json is not valid"):
        load_scenario(path)
    with mock_midjourney() as mj, pytest.raises(ScenarioError, match="name: 'Bad Name' does not"):
        mj.load_scenario({"name": "Bad Name"})


def test_a_yaml_scenario_loads_like_its_json(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    document = json.loads(
        (Path(__file__).parent.parent / "fixtures/scenarios/flaky-status.json").read_text()
    )
    path = tmp_path / "flaky.yaml"
    path.write_text(yaml.safe_dump(document))
    assert load_scenario(path).document == load_scenario("flaky-status").document


def test_serve_names_a_scenario_it_cannot_load(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mock_server.cli import main

    result = CliRunner().invoke(main, ["serve", "--port", "0", "--scenario", "no-such"])
    assert result.exit_code == 2
    assert "no shipped scenario 'no-such'; known: concurrency-retry" in result.output
