"""validate=True: the project's schemas guard every success body; off by default, so a provider
that adds a field does not break an app that did not ask for strictness."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
import responses

from client import DEFAULT_BASE_URL, MidjourneyClient, MidjourneyError, SchemaMismatch, TaskStatus
from mock_server.testing.controller import MockController

MakeClient = Callable[..., MidjourneyClient]
STATUS_URL = f"{DEFAULT_BASE_URL}/midjourney/v1/job-status"
SUBMIT_URL = f"{DEFAULT_BASE_URL}/midjourney/v1/submit-jobs"
TASK_ID = "VUtF55IGrp08Pi_GPf3hk"
# A completed task with three images and an extra field: parseable, but not the contract.
BAD_BODY = {
    "data": [
        {
            "taskId": TASK_ID,
            "status": 1,
            "jobId": "0f8a7e5c-3d55-4c3b-9d8e-8f1c2a3b4c5d",
            "images": [f"https://cdn.midjourney.com/j/0_{i}.png" for i in range(3)],
            "prompt": "a cat",
            "mjPrompt": "a cat",
            "createdAt": 1766916846000,
            "meta": {"width": 1024, "height": 1024},
            "progress": "100%",
        }
    ]
}


def test_everything_the_mock_answers_passes_validation(
    make_client: MakeClient, mj_mock: MockController
) -> None:
    client = make_client(validate=True)
    good, bad = client.submit("a cat"), client.submit("a cat --p 123123")
    tasks = client.wait_all([good, bad], raise_on_failure=False)
    assert [t.status for t in tasks] == [TaskStatus.COMPLETED, TaskStatus.FAILED]
    mj_mock.add_key("trial", 0)
    with pytest.raises(Exception) as caught:
        make_client(api_key="trial", validate=True).submit("a cat")
    assert not isinstance(caught.value, SchemaMismatch)  # 1001 is a valid error body


def test_validate_catches_a_body_off_the_contract() -> None:
    with responses.RequestsMock() as rsps:
        rsps.post(STATUS_URL, json=BAD_BODY)
        with pytest.raises(SchemaMismatch) as caught:
            MidjourneyClient("k", validate=True).status(TASK_ID)
    messages = caught.value.messages
    assert any("images" in m for m in messages), messages
    # The consumer layer: a field the docs never show is the server's business, not an error.
    assert not any("progress" in m for m in messages), messages
    assert "job_status_response" in str(caught.value)
    assert caught.value.http_status == 200


def test_without_validate_the_same_body_parses() -> None:
    with responses.RequestsMock() as rsps:
        rsps.post(STATUS_URL, json=BAD_BODY)
        (task,) = MidjourneyClient("k").status(TASK_ID)
    assert task.ok and len(task.images) == 3 and task.raw["progress"] == "100%"


def test_validate_checks_submit_answers_too() -> None:
    with responses.RequestsMock() as rsps:
        rsps.post(SUBMIT_URL, json={"status": 0, "message": "success", "data": {"taskId": ""}})
        with pytest.raises(SchemaMismatch, match="submit_response"):
            MidjourneyClient("k", validate=True).submit("a cat")


def test_validate_accepts_what_the_docs_leave_open() -> None:
    """Extra fields (`image`, which the provider's Python guide reads), no `message` on a
    submit answer, no `createdAt` on a failed item: a client may not rely on them."""
    item = {
        **BAD_BODY["data"][0],
        "images": [f"https://cdn.midjourney.com/j/0_{i}.png" for i in range(4)],
    }
    item["image"] = "https://cdn.midjourney.com/j/grid_0.png"
    failed = {"taskId": "other-task", "status": 2, "failReason": "Invalid User ID"}
    with responses.RequestsMock() as rsps:
        rsps.post(SUBMIT_URL, json={"status": "0", "data": {"taskId": TASK_ID}})
        rsps.post(STATUS_URL, json={"status": 0, "data": [item, failed]})
        client = MidjourneyClient("k", validate=True)
        assert client.submit("a cat") == TASK_ID
        done, bad = client.status([TASK_ID, "other-task"])
    assert done.ok and done.raw["image"].endswith("grid_0.png")
    assert bad.status == TaskStatus.FAILED and bad.fail_reason == "Invalid User ID"


def test_validate_reads_a_bad_key_answered_with_a_body_code() -> None:
    with responses.RequestsMock() as rsps:
        rsps.post(STATUS_URL, json={"status": 10001, "message": "invalid key"})
        with pytest.raises(MidjourneyError) as caught:
            MidjourneyClient("k", validate=True).status(TASK_ID)
    assert not isinstance(caught.value, SchemaMismatch)
    assert "invalid key" in str(caught.value)


def test_importing_the_client_loads_no_schema_validator() -> None:
    """Validation is opt-in, so an app that never asks for it never pays jsonschema's import:
    the client reads only `schemas.routes` at import."""
    probe = "import sys, client; print(sorted({'jsonschema', 'referencing'} & set(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
