"""The `client` CLI through click's CliRunner, inside the in-process mock.

`--wait` gets the fake time source through `obj`, so it never sleeps either.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result

from client.cli import CLIENT_KWARGS, client_group
from mock_server.testing.controller import MockController

from .conftest import FakeTime


@pytest.fixture
def run(mj_mock: MockController, fake_time: FakeTime) -> Any:
    runner = CliRunner()

    def invoke(*args: str, key: str | None = None, env: dict[str, str] | None = None) -> Result:
        options = ["--api-key", key] if key else []
        obj = {CLIENT_KWARGS: {"sleep": fake_time.sleep, "monotonic": fake_time.monotonic}}
        return runner.invoke(client_group, [*options, *args], obj=obj, env=env)

    return invoke


def test_submit_prints_the_task_id(run: Any, mj_mock: MockController) -> None:
    result = run("submit", "a cat", "--mode", "relaxed", "--timeout", "900", key=mj_mock.api_key)
    assert result.exit_code == 0, result.output
    (task,) = mj_mock.tasks
    assert result.stdout.strip() == task["taskId"]
    assert (task["mode"], task["timeout"]) == ("relaxed", 900)


def test_submit_json(run: Any, mj_mock: MockController) -> None:
    args = ("submit", "a cat", "--hook-url", "https://h.example", "--json")
    result = run(*args, key=mj_mock.api_key)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"taskId": mj_mock.tasks[0]["taskId"]}
    assert mj_mock.tasks[0]["hookUrl"] == "https://h.example"


def test_submit_wait_prints_the_finished_task(run: Any, mj_mock: MockController) -> None:
    result = run("submit", "a dog --ar 9:16", "--wait", key=mj_mock.api_key)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("completed  816x1456")
    assert len(lines) == 5 and all(line.strip().endswith(".png") for line in lines[1:])
    assert "waiting" in result.stderr


def test_submit_wait_json_prints_the_raw_item(run: Any, mj_mock: MockController) -> None:
    result = run("submit", "a cat", "--wait", "--json", key=mj_mock.api_key)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["status"] == 1


def test_a_failed_task_exits_1(run: Any, mj_mock: MockController) -> None:
    result = run("submit", "a cat --p 123123", "--wait", key=mj_mock.api_key)
    assert result.exit_code == 1
    assert "failed: Invalid User ID or Personalize Code" in result.stdout


def test_wait_timeout_exits_2(run: Any, mj_mock: MockController) -> None:
    result = run("submit", "a cat", "--wait", "--wait-timeout", "5", key=mj_mock.api_key)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith("error: gave up waiting")


def test_status_text_json_and_exit_codes(run: Any, mj_mock: MockController) -> None:
    key = mj_mock.api_key
    ids = [run("submit", prompt, key=key).stdout.strip() for prompt in ("a", "b", "c")]
    mj_mock.complete(ids[1])
    mj_mock.fail(ids[2], "Banned prompt detected")
    result = run("status", ids[0], ids[1], key=key)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"{ids[0]}  in progress"
    assert f"{ids[1]}  completed" in result.stdout
    failed = run("status", *ids, "--json", key=key)
    assert failed.exit_code == 1
    assert [item["status"] for item in json.loads(failed.stdout)] == [0, 1, 2]
    unknown = run("status", ids[0], "A" * 21, key=key)
    assert unknown.exit_code == 2
    assert unknown.stderr == f"error: unknown task id(s): {'A' * 21}\n"


def test_key_and_url_from_the_environment(run: Any, mj_mock: MockController) -> None:
    result = run(
        "submit", "a cat", env={"MJ_API_KEY": mj_mock.api_key, "MJ_BASE_URL": mj_mock.base_url}
    )
    assert result.exit_code == 0 and len(mj_mock.tasks) == 1
    provider_style = run("submit", "a cat", env={"MIDJOURNEY_API_KEY": mj_mock.api_key})
    assert provider_style.exit_code == 0 and len(mj_mock.tasks) == 2


@pytest.mark.parametrize(
    ("key", "args", "message"),
    [
        (None, ("submit", "a cat"), "error: no API key: pass --api-key or set MJ_API_KEY"),
        ("wrong", ("status", "A" * 21), "error: job-status: invalid API-KEY (HTTP 401)"),
        ("mj-test-key", ("submit", ""), "error: submit-jobs: prompt"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    run: Any, key: str | None, args: tuple[str, ...], message: str
) -> None:
    result = run(*args, key=key)
    assert result.exit_code == 2
    assert result.stderr.startswith(message), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert result.stdout == ""


def test_quota_error_from_the_cli(run: Any, mj_mock: MockController) -> None:
    mj_mock.add_key("trial", 1)
    result = run("submit", "a cat", key="trial")
    assert result.exit_code == 2
    assert "quota not enough" in result.stderr and "code 1001" in result.stderr


def test_usage_errors_exit_2_and_help_needs_no_key(run: Any) -> None:
    assert run("status").exit_code == 2
    help_text = run("--help")
    assert help_text.exit_code == 0 and "submit" in help_text.stdout
    assert "MJ_API_KEY" in help_text.stdout
