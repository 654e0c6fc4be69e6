"""`contract_tests.drift`: recorded responses against the schemas, and the recorder feeding it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import fixtures
from contract_tests.checks import acceptable_schemas, expected_size, response_problems
from contract_tests.drift import analyse, drift_command
from mock_server.config import Config, load_config_file
from schemas.recording import Recorder, load_records

SECRET = "sk-live-0123456789abcdef"


def _record(directory: Path, endpoint: str, body: Any, http_status: int = 200) -> Path:
    recorder = Recorder(directory, [SECRET])
    return recorder.record(
        endpoint=endpoint,
        target="live",
        method="POST",
        path=f"/midjourney/v1/{endpoint}",
        http_status=http_status,
        content_type="application/json",
        body=body,
        text=None,
        request_body={"note": f"sent with {SECRET}"},
    )


def _documented(directory: Path) -> None:
    """The provider's own samples: every documented shape, every documented status."""
    _record(directory, "submit-jobs", fixtures.load("quickstart/submit_response.json"))
    _record(directory, "submit-jobs", fixtures.load("api_reference/submit_response.json"))
    _record(directory, "submit-jobs", fixtures.load("api_reference/error_quota.json"))
    _record(directory, "submit-jobs", fixtures.load("api_reference/error_concurrency.json"))
    _record(directory, "job-status", fixtures.load("quickstart/job_status_response.json"))
    _record(
        directory, "submit-jobs", {"status": 401, "message": "invalid API-KEY", "data": None}, 401
    )


def _completed_sample() -> dict[str, Any]:
    body = fixtures.load("quickstart/job_status_response.json")
    item: dict[str, Any] = copy.deepcopy(body["data"][2])
    return item


def _drift(directory: Path, *args: str) -> Result:
    return CliRunner().invoke(drift_command, [str(directory), *args])


def test_the_documented_samples_show_no_drift(tmp_path: Path) -> None:
    _documented(tmp_path)
    result = _drift(tmp_path)
    assert result.exit_code == 0, result.output
    assert "no drift" in result.output
    assert "statuses never seen" not in result.output
    assert _drift(tmp_path, "--require-all-statuses").exit_code == 0


def test_a_field_the_schemas_do_not_know_is_drift(tmp_path: Path) -> None:
    _documented(tmp_path)
    item = _completed_sample()
    item["seed"] = 1234
    item["meta"]["dpi"] = 72
    _record(tmp_path, "job-status", {"data": [item]})
    result = _drift(tmp_path)
    assert result.exit_code == 1, result.output
    assert "fields the schemas don't know" in result.output
    assert "data[].seed" in result.output and "data[].meta.dpi" in result.output
    assert "DRIFT" in result.output


def test_a_type_that_differs_is_drift(tmp_path: Path) -> None:
    item = _completed_sample()
    item["meta"]["width"] = "816"
    item["createdAt"] = 1766915367000.5
    _record(tmp_path, "job-status", {"data": [item]})
    report = analyse(tmp_path)
    details = [detail for (kind, detail) in report.findings if kind == "type"]
    assert any("data[].meta.width: schema says integer, seen string" in d for d in details)
    assert any("data[].createdAt: schema says integer, seen number" in d for d in details)
    assert _drift(tmp_path).exit_code == 1


def test_a_missing_field_or_a_wrong_count_is_drift(tmp_path: Path) -> None:
    item = _completed_sample()
    del item["mjPrompt"]
    item["images"] = item["images"][:3]
    _record(tmp_path, "job-status", {"data": [item]})
    result = _drift(tmp_path)
    assert result.exit_code == 1
    assert "data[].mjPrompt: is required" in result.output
    assert "data[].images: must have at least 4 items" in result.output


def test_statuses_the_schemas_do_not_know_are_drift(tmp_path: Path) -> None:
    _record(tmp_path, "job-status", {"data": [{"taskId": "abc", "status": 3}]})
    _record(tmp_path, "submit-jobs", {"status": 1003, "message": "banned", "data": None})
    result = _drift(tmp_path, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    unknown = {f["detail"] for f in report["findings"] if f["kind"] == "unknown-status"}
    assert unknown == {"job-status task status 3", "submit-jobs body status 1003 in HTTP 200"}
    assert report["statuses_seen"] == {"task": [3], "submit-jobs": [1003]}


def test_statuses_never_seen_are_a_note_unless_required(tmp_path: Path) -> None:
    _record(tmp_path, "submit-jobs", fixtures.load("api_reference/submit_response.json"))
    result = _drift(tmp_path)
    assert result.exit_code == 0, result.output
    assert "statuses never seen" in result.output
    assert "submit-jobs status 1002 (concurrency limit)" in result.output
    assert "task status 1 (completed)" in result.output
    assert _drift(tmp_path, "--require-all-statuses").exit_code == 1


def test_an_answer_that_is_not_json_is_drift(tmp_path: Path) -> None:
    Recorder(tmp_path, []).record(
        endpoint="job-status",
        target="live",
        method="POST",
        path="/midjourney/v1/job-status",
        http_status=502,
        content_type="text/html",
        body=None,
        text="<html>Bad gateway</html>",
        request_body=None,
    )
    result = _drift(tmp_path)
    assert result.exit_code == 1
    assert "answers that are not JSON" in result.output


def test_an_error_body_in_another_shape_is_drift(tmp_path: Path) -> None:
    _record(tmp_path, "submit-jobs", {"error": "unauthorized"}, 401)
    result = _drift(tmp_path)
    assert result.exit_code == 1
    assert "data[]" not in result.output and "error" in result.output


def test_hook_payloads_are_checked_too(tmp_path: Path) -> None:
    _record(tmp_path, "hook", _completed_sample())
    _record(tmp_path, "hook", {"status": 0, "message": "success", "data": _completed_sample()})
    assert _drift(tmp_path).exit_code == 0
    bad = _completed_sample()
    bad["status"] = 0
    _record(tmp_path, "hook", bad)
    assert _drift(tmp_path).exit_code == 1


@pytest.mark.parametrize("content", [None, "not json", '{"some": "other file"}'])
def test_a_directory_without_records_is_an_error(tmp_path: Path, content: str | None) -> None:
    if content is not None:
        (tmp_path / "x.json").write_text(content)
    result = _drift(tmp_path)
    assert result.exit_code == 2
    assert "Error:" in result.output


def test_records_never_hold_the_key(tmp_path: Path) -> None:
    path = _record(tmp_path, "submit-jobs", {"status": 401, "message": SECRET, "data": None}, 401)
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text and "***" in text
    [(loaded_path, record)] = load_records(tmp_path)
    assert loaded_path == path and record["body"]["message"] == "***"


def test_the_suite_and_the_report_choose_schemas_alike() -> None:
    assert acceptable_schemas("submit-jobs", 200, {}) == ("submit_response",)
    assert acceptable_schemas("submit-jobs", 401, {}) == ("error",)
    assert acceptable_schemas("job-status", 200, {"data": []}) == ("job_status_response",)
    assert acceptable_schemas("job-status", 200, {"status": 400}) == ("error",)
    assert response_problems("job-status", 200, "text/html", {"data": []}, is_json=True) == [
        "job-status: Content-Type is 'text/html', not JSON"
    ]
    assert response_problems("job-status", 200, None, None, is_json=False)


@pytest.mark.parametrize(
    ("prompt", "size"),
    [
        ("a dog play with a boy --niji 6 --ar 9:16", (816, 1456)),
        ("a cat", (1024, 1024)),
        ("a cat --aspect 32:18", (1456, 816)),
        ("a cat --ar 5:4", None),
        ("a cat --ar wide", None),
        ("a cat --ar 0:1", None),
    ],
)
def test_expected_sizes_follow_the_contract_table(
    prompt: str, size: tuple[int, int] | None
) -> None:
    assert expected_size(prompt) == size


# -- calibration: the settings a recording calls for -------------------------------------------


def test_the_documented_samples_call_for_the_mock_defaults(tmp_path: Path) -> None:
    _documented(tmp_path)
    result = _drift(tmp_path, "--write-config", str(tmp_path / "mock.toml"))
    assert "job-status envelope: data only in 1 of 1 job-status answers" in result.output
    # The quickstart writes "0", the API reference 0: one of each is no majority for strings.
    assert "status_as_string = false (matches the mock's default)" in result.output
    written = load_config_file(tmp_path / "mock.toml")
    assert written == {
        "error_data": True,
        "job_status_envelope": False,
        "status_as_string": False,
        "submit_message": True,
    }
    config, default = Config.from_mapping(written), Config()
    assert all(getattr(config, name) == getattr(default, name) for name in written)


def test_a_recorded_extra_field_becomes_a_templated_setting_that_loads(tmp_path: Path) -> None:
    item = _completed_sample()
    item["upscale"] = f"https://cdn.example/{item['jobId']}/upscale.png"
    item["odd key"] = "for " + item["taskId"]
    item["nested"] = {"skipped": True}  # only plain values become settings
    _record(tmp_path, "job-status", {"status": "0", "message": "ok", "data": [item]})
    result = _drift(tmp_path, "--write-config", str(tmp_path / "mock.toml"))
    assert "extra_item_fields.upscale" in result.output
    written = load_config_file(tmp_path / "mock.toml")
    assert written["job_status_envelope"] is True
    assert written["extra_item_fields"] == {
        "upscale": "https://cdn.example/{jobId}/upscale.png",
        "odd key": "for {taskId}",
    }
    config = Config.from_mapping(written)
    assert config.extra_item_fields["odd key"] == "for {taskId}"


def test_an_answer_a_client_cannot_rely_on_is_named_apart_from_new_fields(tmp_path: Path) -> None:
    broken = _completed_sample()
    del broken["mjPrompt"]
    extended = {**_completed_sample(), "progress": "100%"}
    _record(tmp_path, "job-status", {"data": [broken]})
    _record(tmp_path, "job-status", {"data": [extended]})
    result = _drift(tmp_path)
    assert result.exit_code == 1
    consumer = result.output.split("answers a client cannot rely on")[1].split("\n")[1]
    assert "data[].mjPrompt: is required" in consumer and "(1 responses" in consumer
    assert "job-status (HTTP 200) data[].progress" in result.output
