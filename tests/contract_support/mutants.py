"""Broken builds of the mock, for the mock targets: `-p tests.contract_support.mutants
--mj-mutant NAME` patches one thing in the mock before the contract suite runs against it.

Each mutant breaks one promise (CONTRACT.md [doc] or a mock [decision]) and names the test
written to catch it (`tests/test_contract_targets.py` checks that exact test fails). The
WSGI-level breakages a live client can see are in `broken.py`; these need the mock's insides.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from mock_server.delivery.dispatcher import HookDispatcher
from mock_server.domain.lifecycle import MidjourneyBackend
from mock_server.errors import QuotaNotEnough
from mock_server.web import provider as api
from mock_server.web import wire as render

__all__ = ["MUTANTS", "Mutant"]


@dataclasses.dataclass(frozen=True)
class Mutant:
    name: str
    apply: Callable[[pytest.MonkeyPatch], None]
    # The node id (under contract_tests/) that must fail: the test written for this promise.
    caught_by: str


def _oversold_quota(mp: pytest.MonkeyPatch) -> None:
    original = MidjourneyBackend.submit

    def submit(self: MidjourneyBackend, api_key: str, request: Any) -> Any:
        try:
            return original(self, api_key, request)
        except QuotaNotEnough:
            account = self._store.get_account(api_key)
            assert account is not None
            account.balance += 100  # sells what the account does not have
            self._store.save_account(account)
            return original(self, api_key, request)

    mp.setattr(MidjourneyBackend, "submit", submit)


def _config_change(**changes: Any) -> Callable[[pytest.MonkeyPatch], None]:
    def apply(mp: pytest.MonkeyPatch) -> None:
        original = MidjourneyBackend.__init__

        def init(self: MidjourneyBackend, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            values = {k: v(self.config) if callable(v) else v for k, v in changes.items()}
            self.config = dataclasses.replace(self.config, **values)

        mp.setattr(MidjourneyBackend, "__init__", init)

    return apply


def _status_backwards(mp: pytest.MonkeyPatch) -> None:
    original = render.job_status_body
    finished: set[tuple[int, str]] = set()  # per mock instance: its config, and the task id

    def body(tasks: list[Any], config: Any, *asked: Any) -> dict[str, Any]:
        out = original(tasks, config, *asked)
        items = []
        for item in out["data"]:
            seen = (id(config), item["taskId"])
            if seen in finished:
                item = {"taskId": item["taskId"], "status": 0}
            elif item["status"] in (1, 2):
                finished.add(seen)
            items.append(item)
        return {**out, "data": items}

    mp.setattr(api, "job_status_body", body)


def _foreign_visible(mp: pytest.MonkeyPatch) -> None:
    def job_status(self: MidjourneyBackend, api_key: str, task_ids: Any) -> list[Any]:
        with self._lock:
            self._run_due()
            found = [self._store.get_task(t) for t in dict.fromkeys(task_ids)]
            return [task for task in found if task is not None]

    mp.setattr(MidjourneyBackend, "job_status", job_status)


def _wrong_meta(mp: pytest.MonkeyPatch) -> None:
    original = render.task_item

    def task_item(task: Any, config: Any) -> dict[str, Any]:
        item = original(task, config)
        if "meta" in item:
            item["meta"] = {"width": item["meta"]["height"], "height": item["meta"]["width"]}
        return item

    mp.setattr(render, "task_item", task_item)


def _hook_twice(mp: pytest.MonkeyPatch) -> None:
    original = HookDispatcher.task_finished

    def task_finished(self: HookDispatcher, task: Any) -> None:
        original(self, task)
        original(self, task)

    mp.setattr(HookDispatcher, "task_finished", task_finished)


def _hook_never_retried(mp: pytest.MonkeyPatch) -> None:
    original = HookDispatcher.__init__

    def init(self: HookDispatcher, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self._policy = dataclasses.replace(self._policy, retries=0)

    mp.setattr(HookDispatcher, "__init__", init)


def _envelope_status_type(mp: pytest.MonkeyPatch) -> None:
    original = render.submit_success_body

    def body(task: Any, config: Any) -> dict[str, Any]:
        return {**original(task, config), "status": "0"}  # whatever status_as_string says

    mp.setattr(api, "submit_success_body", body)


MUTANTS = [
    Mutant(
        "oversold-quota",
        _oversold_quota,
        "test_quota.py::test_an_account_without_quota_gets_1001",
    ),
    Mutant(
        "late-1002",
        _config_change(max_in_progress=lambda c: c.max_in_progress + 1),
        "test_quota.py::test_the_eleventh_task_in_progress_gets_1002",
    ),
    Mutant(
        "no-refund",
        _config_change(refund_failed=False),
        "test_lifecycle.py::test_a_failed_task_is_refunded",
    ),
    Mutant(
        "status-backwards",
        _status_backwards,
        "test_lifecycle.py::test_a_finished_status_never_moves_back",
    ),
    Mutant(
        "foreign-visible",
        _foreign_visible,
        "test_job_status.py::test_another_keys_tasks_are_invisible",
    ),
    Mutant(
        "wrong-meta",
        _wrong_meta,
        "test_lifecycle.py::test_a_completed_task_has_the_grid_size_of_its_aspect_ratio",
    ),
    Mutant("hook-twice", _hook_twice, "test_hooks.py::test_a_completed_task_calls_its_hook"),
    Mutant(
        "hook-never-retried",
        _hook_never_retried,
        "test_hooks.py::test_a_failing_receiver_is_retried",
    ),
    Mutant(
        "envelope-status-type",
        _envelope_status_type,
        "test_submit.py::test_the_body_status_is_zero_as_a_number_or_a_numeric_string",
    ),
]
_BY_NAME = {mutant.name: mutant for mutant in MUTANTS}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--mj-mutant", choices=sorted(_BY_NAME), help="run against a broken mock")


def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("mj_mutant")
    if name:
        patcher = pytest.MonkeyPatch()
        _BY_NAME[name].apply(patcher)
        config.add_cleanup(patcher.undo)
