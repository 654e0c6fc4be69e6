"""One test body, two modes: the in-process mock and a real server must behave the same."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
import requests
from PIL import Image

import schemas
from mock_server import ControlError, MockController

SUBMIT = "/midjourney/v1/submit-jobs"
STATUS = "/midjourney/v1/job-status"


@pytest.fixture(params=["mj_mock", "mj_server"])
def mj(request: pytest.FixtureRequest) -> MockController:
    controller: MockController = request.getfixturevalue(request.param)
    return controller


def _submit(mj: MockController, prompt: str, key: str | None = None) -> dict[str, Any]:
    response = requests.post(
        mj.base_url + SUBMIT, json={"prompt": prompt}, headers={"API-KEY": key or mj.api_key}
    )
    body: dict[str, Any] = response.json()
    schemas.validate("submit_response", body)
    return body


def _status(mj: MockController, *task_ids: str) -> list[dict[str, Any]]:
    response = requests.post(
        mj.base_url + STATUS, json={"taskIds": list(task_ids)}, headers={"API-KEY": mj.api_key}
    )
    body = response.json()
    schemas.validate("job_status_response", body)
    items: list[dict[str, Any]] = body["data"]
    return items


def test_submit_advance_and_download_four_pngs_of_the_right_size(mj: MockController) -> None:
    task_id = _submit(mj, "a red fox --ar 16:9")["data"]["taskId"]
    assert _status(mj, task_id)[0]["status"] == 0
    mj.advance(60)
    (item,) = _status(mj, task_id)
    assert item["status"] == 1
    sizes = set()
    contents = set()
    for url in item["images"]:
        download = requests.get(url, timeout=10)
        assert download.status_code == 200
        assert download.headers["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(download.content))
        assert image.format == "PNG"
        sizes.add(image.size)
        contents.add(download.content)
    assert sizes == {(1456, 816)}
    assert len(contents) == 4, "the four grid images differ"


def test_forced_outcomes(mj: MockController) -> None:
    done = _submit(mj, "a cat")["data"]["taskId"]
    failed = _submit(mj, "a dog")["data"]["taskId"]
    assert mj.complete(done)["status"] == 1
    view = mj.fail(failed, "moderation says no")
    schemas.validate("control_task", view)
    items = {item["taskId"]: item for item in _status(mj, done, failed)}
    assert items[done]["status"] == 1
    assert items[failed]["failReason"] == "moderation says no"
    with pytest.raises(ControlError) as error:
        mj.complete(failed)
    assert error.value.http_status == 409  # Conflict: the state, not the request, is wrong


def test_quota_top_up_and_drain(mj: MockController) -> None:
    mj.add_key("trial", 2)
    assert _submit(mj, "one", key="trial")["status"] == 0
    assert _submit(mj, "two", key="trial")["status"] == 1001
    assert mj.add_key("trial", 130)["quota"] == 130
    assert _submit(mj, "three", key="trial")["status"] == 0
    assert mj.quota("trial") == 128


def test_tasks_listing_and_reset(mj: MockController) -> None:
    task_id = _submit(mj, "a cat")["data"]["taskId"]
    listing = mj.tasks
    schemas.validate("control_tasks", {"tasks": listing})
    assert [t["taskId"] for t in listing] == [task_id]
    assert mj.task(task_id)["apiKey"] == mj.api_key
    mj.reset()
    assert mj.tasks == []


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_status_faults(mj: MockController, status: int) -> None:
    mj.inject_fault("status", status=status, count=2, endpoint="job-status")
    for _ in range(2):
        response = requests.post(
            mj.base_url + STATUS, json={"taskIds": []}, headers={"API-KEY": mj.api_key}
        )
        assert response.status_code == status
        schemas.validate("error", response.json())
    assert _status(mj) == []  # the third call is served normally
    assert _submit(mj, "unaffected")["status"] == 0


def test_drop_fault_is_a_connection_error(mj: MockController) -> None:
    mj.inject_fault("drop", endpoint="submit-jobs")
    with pytest.raises(requests.ConnectionError):
        requests.post(mj.base_url + SUBMIT, json={"prompt": "x"}, headers={"API-KEY": mj.api_key})
    assert mj.tasks == [], "a dropped submit never reached the backend"
    assert _submit(mj, "x")["status"] == 0


def test_malformed_fault_is_invalid_json(mj: MockController) -> None:
    mj.inject_fault("malformed", endpoint="job-status")
    response = requests.post(
        mj.base_url + STATUS, json={"taskIds": []}, headers={"API-KEY": mj.api_key}
    )
    with pytest.raises(ValueError):
        response.json()


def test_latency_fault_delays_but_answers(mj: MockController) -> None:
    mj.inject_fault("latency", latency=0.05, endpoint="job-status")
    started = time.monotonic()
    response = requests.post(
        mj.base_url + STATUS, json={"taskIds": []}, headers={"API-KEY": mj.api_key}
    )
    assert time.monotonic() - started >= 0.05
    assert response.status_code == 200


def test_probabilistic_faults_are_seeded_and_clearable(mj: MockController) -> None:
    fault = mj.inject_fault("status", status=503, probability=0.5)
    schemas.validate("control_fault", fault)
    codes = [
        requests.post(
            mj.base_url + STATUS, json={"taskIds": []}, headers={"API-KEY": mj.api_key}
        ).status_code
        for _ in range(40)
    ]
    assert 5 < codes.count(503) < 35 and codes.count(200) == 40 - codes.count(503)
    assert mj.faults[0]["hits"] == codes.count(503)
    mj.clear_faults()
    assert mj.faults == []


def test_drop_after_serves_the_request_then_loses_the_answer(mj: MockController) -> None:
    mj.inject_fault("drop-after", endpoint="submit-jobs")
    with pytest.raises(requests.ConnectionError):
        requests.post(mj.base_url + SUBMIT, json={"prompt": "x"}, headers={"API-KEY": mj.api_key})
    (task,) = mj.tasks  # the submit happened and was charged, though the client never heard
    assert task["cost"] == 2 and mj.quota() == 1_000_000 - 2
    assert _submit(mj, "next")["status"] == 0
