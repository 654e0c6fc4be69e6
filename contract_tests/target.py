"""One face for every target: the suite's tests talk to a `Target`, never to a mock directly.

A `Target` is a base URL, a key and an HTTP session. On the mock targets it also holds the
`MockController` (`control`); on `live` that is None and nothing in here assumes a mock. Every
answer from the two endpoints goes through the session's `AnswerCheck` (`answers.py`), which
records it (`--mj-record`) and checks what must hold for *every* answer, so a broken target fails
the first test that happens to see it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
import requests

from client import MidjourneyClient, WaitTimeout
from client import Task as ClientTask
from schemas.recording import Recorder
from schemas.routes import JOB_STATUS, SUBMIT_JOBS

from .answers import AnswerCheck, int_status, short
from .budget import JobBudget
from .checks import body_status
from .observe import Observations
from .options import MOCK_WAIT_SECONDS, SuiteOptions

if TYPE_CHECKING:
    from mock_server.testing.controller import MockController
    from mock_server.testing.receiver import HookReceiverServer

__all__ = ["FinishedTask", "HookSite", "Target", "accepted"]

_DEFAULT = object()


@dataclass
class FinishedTask:
    """A task the suite submitted and waited for, with everything seen on the way."""

    task_id: str
    prompt: str
    key: str
    submit_body: dict[str, Any]
    item: dict[str, Any]
    observed: list[int] = field(default_factory=list)
    hook_url: str | None = None

    @property
    def status(self) -> int | None:
        return int_status(self.item.get("status"))


class HookSite:
    """A hookUrl receiver the target can reach: the plugin's loopback receiver on the mocks, or
    the suite's own receiver on live (`--mj-hook-listen`, behind `--mj-hook-url` if tunnelled)."""

    def __init__(self, receiver: HookReceiverServer, url: str | None = None) -> None:
        self.receiver = receiver
        self.url = url or receiver.url

    def deliveries(self, task_id: str) -> list[Any]:
        return [hook.payload for hook in self.receiver.received if hook.task_id == task_id]

    def wait_for(self, task_id: str, timeout: float) -> list[Any]:
        """Every payload received for `task_id`, waiting up to `timeout` wall seconds for one."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.deliveries(task_id)
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(0.02)


class Target:
    def __init__(
        self,
        kind: str,
        *,
        base_url: str,
        api_key: str,
        suite: SuiteOptions,
        budget: JobBudget,
        recorder: Recorder | None = None,
        control: MockController | None = None,
        live_hook_site: HookSite | None = None,
        observations: Observations | None = None,
    ) -> None:
        self.kind = kind
        self.observations = observations if observations is not None else Observations(recorder)
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.suite = suite
        self.budget = budget
        self.recorder = recorder
        self.control = control
        self.live_hook_site = live_hook_site
        self.answers = AnswerCheck(kind, recorder, "strict" if control is not None else "consumer")
        self.tracker = self.answers.tracker
        self.session = requests.Session()
        # A mock on loopback must not be reached through a proxy from the environment; live
        # honours it (and REQUESTS_CA_BUNDLE), as any client of the real API must.
        self.session.trust_env = control is None
        self.session.hooks["response"].append(self.answers)
        self._shared: dict[str, FinishedTask | BaseException] = {}

    # -- what kind of target ----------------------------------------------------------------

    @property
    def is_live(self) -> bool:
        return self.control is None

    @property
    def is_mock(self) -> bool:
        return self.control is not None

    @property
    def schema_layer(self) -> str:
        """The mock is held to its exact output; live only to what a client may rely on."""
        return self.answers.layer

    def close(self) -> None:
        self.session.close()

    def reset(self) -> None:
        """Mocks only: forget every task (the status history with it)."""
        assert self.control is not None, "reset needs control of the target"
        self.control.reset()
        self.tracker.clear()

    def record_hook(self, payload: Any) -> None:
        if self.recorder is not None:
            self.recorder.record(
                endpoint="hook",
                target=self.kind,
                method="POST",
                path="(hookUrl)",
                http_status=200,
                content_type="application/json",
                body=payload,
                text=None,
                request_body=None,
            )

    # -- raw requests ------------------------------------------------------------------------

    def post(
        self,
        path: str,
        body: Any = _DEFAULT,
        *,
        key: str | object | None = _DEFAULT,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """POST to the target; `key=None` sends no API-KEY, `data=` sends raw bytes."""
        sent_headers = {"Content-Type": "application/json"}
        api_key = self.api_key if key is _DEFAULT else key
        if api_key is not None:
            sent_headers["API-KEY"] = str(api_key)
        sent_headers.update(headers or {})
        payload = data
        if payload is None and body is not _DEFAULT:
            payload = json.dumps(body).encode("utf-8")
        timeout = 60.0 if self.is_live else 30.0
        return self.session.post(
            self.base_url + path, data=payload, headers=sent_headers, timeout=timeout
        )

    def post_submit(self, body: Any = _DEFAULT, **kwargs: Any) -> requests.Response:
        """A submit that spends no budget: for requests that must not create a job."""
        return self.post(SUBMIT_JOBS, body, **kwargs)

    def try_submit(self, body: Any = _DEFAULT, **kwargs: Any) -> requests.Response:
        """A submit the target should refuse, but that a lenient server might accept (and, on
        live, charge): it holds one job of the budget and keeps it only when accepted."""
        with self.budget.reserve() as reservation:
            response = self.post_submit(body, **kwargs)
            reservation.used = accepted(response)
        return response

    def post_status(self, body: Any = _DEFAULT, **kwargs: Any) -> requests.Response:
        return self.post(JOB_STATUS, body, **kwargs)

    # -- the happy path ------------------------------------------------------------------------

    def submit(self, prompt: str, *, key: str | None = None, **fields: Any) -> tuple[str, Any]:
        """Spend one job of the budget on a submit that must succeed; (taskId, answer body)."""
        self.budget.spend()
        response = self.post_submit({"prompt": prompt, **fields}, key=key or self.api_key)
        body = response.json()
        assert response.status_code == 200, f"submit failed: HTTP {response.status_code} {body}"
        assert body_status(body) == 0, f"submit was refused: {short(body)}"
        task_id: str = body["data"]["taskId"]
        return task_id, body

    def statuses(self, task_ids: Iterable[str], *, key: str | None = None) -> list[dict[str, Any]]:
        """The job-status items for these ids, checked by `AnswerCheck` on the way in."""
        response = self.post_status({"taskIds": list(task_ids)}, key=key or self.api_key)
        body = response.json()
        assert response.status_code == 200, f"job-status: HTTP {response.status_code} {body}"
        data = body.get("data")
        assert isinstance(data, list), f"job-status answer has no data list: {short(body)}"
        return data

    def item(self, task_id: str, *, key: str | None = None) -> dict[str, Any]:
        items = [i for i in self.statuses([task_id], key=key) if i.get("taskId") == task_id]
        assert len(items) == 1, f"job-status gave {len(items)} items for {task_id}: {items}"
        return items[0]

    def client(self, key: str | None = None) -> MidjourneyClient:
        """The reference client on this target; on a mock, its clock is the manual clock."""
        kwargs: dict[str, Any] = {"session": self.session, "validate": True}
        if self.control is not None:
            control = self.control

            def advance(seconds: float) -> None:
                control.advance(seconds)

            kwargs.update(sleep=advance, monotonic=control.now)
        return MidjourneyClient(api_key=key or self.api_key, base_url=self.base_url, **kwargs)

    def wait(self, task_id: str, *, key: str | None = None) -> tuple[dict[str, Any], list[int]]:
        """Poll through the client until the task is finished: (its item, statuses seen).

        Live waits in real time, bounded by `--mj-job-timeout`; a mock moves its manual clock.
        """
        observed: list[int] = []

        def progress(task: ClientTask) -> None:
            observed.append(int(task.status))

        client = self.client(key)
        if self.is_live:
            timeout = self.suite.job_timeout
            poll = self.suite.poll_interval
            limits: dict[str, float] = {"poll_interval": poll, "max_poll_interval": poll * 5}
        else:
            timeout = MOCK_WAIT_SECONDS
            limits = {"poll_interval": 5.0, "max_poll_interval": 30.0}
        try:
            task = client.wait(
                task_id, timeout=timeout, on_progress=progress, raise_on_failure=False, **limits
            )
        except WaitTimeout:
            pytest.fail(
                f"task {task_id} did not finish within {timeout:g} s "
                f"({'--mj-job-timeout' if self.is_live else 'model time'}); statuses seen: "
                f"{observed}",
                pytrace=False,
            )
        return dict(task.raw), observed

    def pause(self) -> None:
        """Let time pass between two polls: real time on live, model time on a mock."""
        if self.control is not None:
            self.control.advance(60)
        else:
            time.sleep(self.suite.poll_interval)

    def now_millis(self) -> int:
        if self.control is not None:
            return int(self.control.now() * 1000)
        return int(time.time() * 1000)

    def run_task(
        self, prompt: str, *, key: str | None = None, hook_url: str | None = None, **fields: Any
    ) -> FinishedTask:
        """Submit (one job of the budget) and wait until finished."""
        if hook_url is not None:
            fields["hookUrl"] = hook_url
        task_id, body = self.submit(prompt, key=key, **fields)
        item, observed = self.wait(task_id, key=key)
        return FinishedTask(
            task_id=task_id,
            prompt=prompt,
            key=key or self.api_key,
            submit_body=body,
            item=item,
            observed=observed,
            hook_url=hook_url,
        )

    def shared_task(self, name: str, make: Callable[[], FinishedTask]) -> FinishedTask:
        """One task per name for the target's lifetime: on live the whole run, so the tests that
        only look at a finished task share the budget's few jobs. A failure is remembered too,
        so a broken target is not paid again by every test that asks."""
        cached = self._shared.get(name)
        if isinstance(cached, FinishedTask):
            return cached
        if cached is not None:
            raise cached
        try:
            task = make()
        except BaseException as exc:
            if not isinstance(exc, (KeyboardInterrupt, SystemExit)):
                self._shared[name] = exc
            raise
        self._shared[name] = task
        return task


def accepted(response: requests.Response) -> bool:
    """A 2xx answer whose body status is 0 (or absent): the target took the request."""
    if not 200 <= response.status_code < 300:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return body_status(body) in (0, None)
