"""Auth: both endpoints need the `API-KEY` header [doc]; a missing, empty or wrong key is
refused [doc]. What the refusal looks like is undocumented: the mock answers HTTP 401 with body
status 401 [decision]; live may answer 401, 403 or a body code, which is observed ("bad key
answer") beside the mock's default."""

from __future__ import annotations

import secrets

import pytest

from .expect import assert_rejected
from .target import FinishedTask, Target

BAD_KEYS = {
    "missing": None,
    "empty": "",
    "wrong": "mj-contract-wrong-key-" + secrets.token_hex(8),
}


@pytest.mark.doc
@pytest.mark.parametrize("case", sorted(BAD_KEYS))
def test_submit_refuses_a_bad_key(target: Target, case: str) -> None:
    # A valid body, so a refusal can only be about the key.
    response = target.post_submit(
        {"prompt": "a futuristic city at sunset --ar 16:9 --niji 7"}, key=BAD_KEYS[case]
    )
    assert_rejected(target, response, mock_http=401, answer="bad key answer (submit-jobs)")


@pytest.mark.doc
@pytest.mark.parametrize("case", sorted(BAD_KEYS))
def test_job_status_refuses_a_bad_key(target: Target, case: str) -> None:
    response = target.post_status({"taskIds": ["VUtF55IGrp08Pi_GPf3hk"]}, key=BAD_KEYS[case])
    assert_rejected(target, response, mock_http=401, answer="bad key answer (job-status)")


@pytest.mark.doc
def test_a_bad_key_does_not_reveal_tasks(target: Target, completed_task: FinishedTask) -> None:
    """A refused job-status must not carry the task it was asked about."""
    response = target.post_status({"taskIds": [completed_task.task_id]}, key=BAD_KEYS["wrong"])
    body = assert_rejected(target, response, mock_http=401, answer="bad key answer (job-status)")
    assert completed_task.task_id not in str(body.get("data"))


@pytest.mark.decision("authorization-header-refused")
def test_authorization_header_is_not_the_key(target: Target) -> None:
    """[doc] the key goes in `API-KEY`; that `Authorization` alone is refused is the mock's."""
    response = target.try_submit(
        {"prompt": "A cute kitten"}, key=None, headers={"Authorization": f"Bearer {target.api_key}"}
    )
    assert_rejected(target, response, mock_http=401, answer="bad key answer (submit-jobs)")
