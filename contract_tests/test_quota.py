"""Quota (1001) and concurrency (1002) [doc]: refusals inside an HTTP 200, in the error shape.

The suite can only set these up where the target lets it: a mock makes accounts on request; on
live a key with no quota left can be given (`MJ_EMPTY_API_KEY`); ten jobs in progress at once
would cost ten jobs, so 1002 is checked on the mocks only.
"""

from __future__ import annotations

import pytest

import schemas
from mock_server.testing.controller import MockController

from .checks import body_status
from .expect import assert_rejected, assert_success_submit
from .observe import observe
from .target import Target

TRIAL_KEY = "contract-trial-key"
BUSY_KEY = "contract-busy-key"


@pytest.mark.doc
def test_an_account_without_quota_gets_1001(target: Target, drained_key: str) -> None:
    response = target.try_submit({"prompt": "A cute kitten", "mode": "fast"}, key=drained_key)
    body = assert_rejected(target, response, mock_http=200, mock_code=1001, answer="1001 answer")
    schemas.validate("submit_response", body, layer=target.schema_layer)
    assert body_status(body) == 1001, body
    # Polling is free [decision]: the same key can still ask about tasks.
    polled = target.post_status({"taskIds": ["zz-unknown-task-id"]}, key=drained_key)
    observe(target, "polling with no quota left", f"HTTP {polled.status_code}", "HTTP 200")


@pytest.mark.needs_control
@pytest.mark.decision("mode-costs")
def test_quota_runs_out_after_the_documented_costs(target: Target, control: MockController) -> None:
    """[doc] new accounts get 10; a fast task costs 2 [doc example]; relaxed 1 [decision]."""
    control.add_key(TRIAL_KEY, 10)
    for _ in range(5):
        target.submit("A cute kitten", key=TRIAL_KEY, mode="fast")
    response = target.post_submit({"prompt": "A cute kitten", "mode": "fast"}, key=TRIAL_KEY)
    assert body_status(assert_rejected(target, response, mock_http=200, mock_code=1001)) == 1001
    response = target.post_submit({"prompt": "A cute kitten", "mode": "relaxed"}, key=TRIAL_KEY)
    assert_rejected(target, response, mock_http=200, mock_code=1001)
    assert control.quota(TRIAL_KEY) == 0
    control.add_key(TRIAL_KEY, 1)
    assert assert_success_submit(
        target,
        target.post_submit({"prompt": "A cute kitten", "mode": "relaxed"}, key=TRIAL_KEY).json(),
    )
    assert control.quota(TRIAL_KEY) == 0


@pytest.mark.needs_control
@pytest.mark.doc
def test_the_eleventh_task_in_progress_gets_1002(target: Target, control: MockController) -> None:
    """[doc] at most 10 tasks in progress per account."""
    control.add_key(BUSY_KEY, 1000)
    running = [target.submit("A cute kitten", key=BUSY_KEY)[0] for _ in range(10)]
    response = target.post_submit({"prompt": "A cute kitten"}, key=BUSY_KEY)
    body = assert_rejected(target, response, mock_http=200, mock_code=1002)
    assert body_status(body) == 1002
    # Nothing was charged for the refusal, and a finished task frees a slot.
    assert control.quota(BUSY_KEY) == 1000 - 2 * 10
    control.complete(running[0])
    target.submit("A cute kitten", key=BUSY_KEY)
    response = target.post_submit({"prompt": "A cute kitten"}, key=BUSY_KEY)
    assert_rejected(target, response, mock_http=200, mock_code=1002)
    # Other accounts are not affected.
    target.submit("A cute kitten")


@pytest.mark.needs_control
@pytest.mark.decision("1001-before-1002")
def test_1001_wins_over_1002(target: Target, control: MockController) -> None:
    control.add_key(BUSY_KEY, 20)
    for _ in range(10):
        target.submit("A cute kitten", key=BUSY_KEY)
    response = target.post_submit({"prompt": "A cute kitten"}, key=BUSY_KEY)
    assert_rejected(target, response, mock_http=200, mock_code=1001)
