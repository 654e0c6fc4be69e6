"""The settings a live recording calibrates (`mj-mock drift DIR --write-config`): each is a
[decision] where the provider's docs are silent, off by default, and renders what it says."""

from __future__ import annotations

from typing import Any

import pytest

import schemas
from mock_server import Config, ManualClock, MidjourneyBackend, create_app
from mock_server.config import ConfigError

from .support import KEY, OTHER_KEY

SUBMIT = "/midjourney/v1/submit-jobs"
STATUS = "/midjourney/v1/job-status"


def _app(**settings: Any) -> Any:
    clock = ManualClock(start=1_766_900_000.0)
    config = Config(api_keys={KEY: 1000, OTHER_KEY: 1000}, clock=clock, seed=7, **settings)
    backend = MidjourneyBackend(config)
    return backend, create_app(backend=backend).test_client()


def _completed(backend: MidjourneyBackend, client: Any) -> str:
    answer = client.post(SUBMIT, json={"prompt": "a red fox"}, headers={"API-KEY": KEY}).json
    task_id: str = answer["data"]["taskId"]
    backend.complete(task_id)
    return task_id


def test_the_defaults_are_the_documented_shapes() -> None:
    backend, client = _app()
    task_id = _completed(backend, client)
    submit = client.post(SUBMIT, json={"prompt": "x"}, headers={"API-KEY": KEY}).json
    assert submit["message"] == "success"
    body = client.post(STATUS, json={"taskIds": ["nope", task_id]}, headers={"API-KEY": KEY}).json
    assert [item["taskId"] for item in body["data"]] == [task_id]
    assert "image_hd" not in body["data"][0]
    error = client.post(SUBMIT, json={"prompt": ""}, headers={"API-KEY": KEY}).json
    assert error["data"] is None


def test_extra_item_fields_are_added_to_completed_items_with_their_placeholders() -> None:
    extra = {"image_hd": "{image_base_url}/{jobId}/hd.png", "seed": 42, "of": "{taskId}"}
    backend, client = _app(extra_item_fields=extra)
    task_id = _completed(backend, client)
    (item,) = client.post(STATUS, json={"taskIds": [task_id]}, headers={"API-KEY": KEY}).json[
        "data"
    ]
    assert item["image_hd"] == f"https://cdn.midjourney.com/{item['jobId']}/hd.png"
    assert item["seed"] == 42 and item["of"] == task_id
    assert schemas.errors("task", item, layer="consumer") == []


def test_unknown_and_foreign_ids_can_be_reported_as_failed_items_in_request_order() -> None:
    backend, client = _app(unknown_ids="report")
    mine = _completed(backend, client)
    theirs = client.post(SUBMIT, json={"prompt": "a"}, headers={"API-KEY": OTHER_KEY}).json
    foreign = theirs["data"]["taskId"]
    asked = ["nope", mine, foreign, "nope"]
    body = client.post(STATUS, json={"taskIds": asked}, headers={"API-KEY": KEY}).json
    assert [item["taskId"] for item in body["data"]] == ["nope", mine, foreign]
    for item in (body["data"][0], body["data"][2]):
        assert item["status"] == 2 and item["failReason"] == "task not found"
        assert "jobId" not in item
    schemas.validate("job_status_response", body)


def test_submit_message_and_error_data_can_be_left_out() -> None:
    _, client = _app(submit_message=False, error_data=False)
    submit = client.post(SUBMIT, json={"prompt": "x"}, headers={"API-KEY": KEY}).json
    assert "message" not in submit and submit["data"]["taskId"]
    error = client.post(SUBMIT, json={"prompt": ""}, headers={"API-KEY": KEY})
    assert error.status_code == 400 and "data" not in error.json and error.json["message"]
    assert schemas.errors("error", error.json, layer="consumer") == []


@pytest.mark.parametrize(
    ("settings", "why"),
    [
        ({"unknown_ids": "drop"}, "unknown_ids must be one of omit, report"),
        ({"extra_item_fields": {"jobId": "x"}}, "may not replace documented fields"),
    ],
)
def test_a_bad_calibration_setting_is_named(settings: dict[str, Any], why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        Config.from_mapping(settings)
