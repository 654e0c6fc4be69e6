"""hookUrl: a POST reaches the receiver when the task finishes [doc]. Its body is undocumented;
receivers read taskId and status from `body.data` or the top level [clients], and the suite holds
it to `schemas/hook_payload` (the consumer layer on live). Exactly one POST whose item equals the
job-status item, and the retries, are mock decisions: observed on live.

On live a receiver is only reachable when the run starts one (`--mj-hook-listen`); then the
shared completed and failed tasks carry its URL and these tests cost no extra job.
"""

from __future__ import annotations

from typing import Any

import pytest

import schemas
from mock_server.testing.controller import MockController

from .checks import body_status, task_id_of_hook
from .observe import observe
from .target import FinishedTask, HookSite, Target

MOCK_HOOK_WAIT = 5.0


def _task_with_hook(
    request: pytest.FixtureRequest, target: Target, hook_site: HookSite, kind: str
) -> FinishedTask:
    """On live, the shared task of that kind (it was submitted with the hook URL); on a mock,
    a fresh one."""
    if target.is_live:
        task: FinishedTask = request.getfixturevalue(f"{kind}_task")
        assert task.hook_url == hook_site.url
        return task
    prompt = (
        "a boy play with a girl --niji 7" if kind == "completed" else "A cute kitten --p 123123"
    )
    return target.run_task(prompt, hook_url=hook_site.url)


def _delivered(target: Target, hook_site: HookSite, task: FinishedTask) -> list[Any]:
    timeout = target.suite.job_timeout if target.is_live else MOCK_HOOK_WAIT
    payloads = hook_site.wait_for(task.task_id, timeout)
    assert payloads, f"no hook POST for task {task.task_id} reached {hook_site.url}"
    for payload in payloads:
        target.record_hook(payload)
        schemas.validate("hook_payload", payload, layer=target.schema_layer)
        assert task_id_of_hook(payload) == task.task_id
        item = payload.get("data") if isinstance(payload.get("data"), dict) else payload
        assert body_status(item) == task.status
    # [decision] one POST per finished task, carrying its job-status item (the envelope is a
    # switch). The mock's own journal counts every delivery it started, even one still on its way.
    started = len(payloads)
    if target.control is not None:
        started = len([h for h in target.control.hooks if h["taskId"] == task.task_id])
    observe(target, "hook POSTs per finished task (receiver answering 200)", started, 1)
    first = payloads[0].get("data") if isinstance(payloads[0].get("data"), dict) else payloads[0]
    observe(target, "hook body carries the job-status item", first == task.item, True)
    return payloads


@pytest.mark.doc
def test_a_completed_task_calls_its_hook(
    request: pytest.FixtureRequest, target: Target, hook_site: HookSite
) -> None:
    task = _task_with_hook(request, target, hook_site, "completed")
    assert task.status == 1
    _delivered(target, hook_site, task)


@pytest.mark.doc
def test_a_failed_task_calls_its_hook(
    request: pytest.FixtureRequest, target: Target, hook_site: HookSite
) -> None:
    task = _task_with_hook(request, target, hook_site, "failed")
    assert task.status == 2
    _delivered(target, hook_site, task)


@pytest.mark.needs_control
@pytest.mark.decision("hook-retries")
def test_a_failing_receiver_is_retried(
    target: Target, control: MockController, hook_site: HookSite
) -> None:
    """[decision] retried on a non-2xx answer, with backoff, up to 3 retries."""
    hook_site.receiver.fail_next(2, status=503)
    task = target.run_task("A cute kitten", hook_url=hook_site.url)
    control.advance(60)
    received = [h for h in hook_site.receiver.received if h.task_id == task.task_id]
    assert [h.answered for h in received] == [503, 503, 200], "the hook was not retried"
    outcomes = [h["outcome"] for h in control.hooks if h["taskId"] == task.task_id]
    assert outcomes[-1] == "delivered" and len(outcomes) == 3
