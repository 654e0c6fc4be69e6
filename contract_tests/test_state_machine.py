"""One state machine drives submit / poll / advance / force-outcome sequences against a mock
target and checks the invariants after every step:

- a task's status only moves 0 -> 1 or 0 -> 2 (also checked on every answer by the target);
- the quota is never negative and never oversold: it always equals the model's ledger (fast 2,
  relaxed 1, charged at submit, refunded on failure), and a submit the balance cannot pay gets
  1001;
- at most 10 tasks are in progress; the 11th submit gets 1002;
- every answer is schema-valid (checked by the target on the way in).

It needs the mock's clock and outcomes, so it is skipped on live.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from mock_server.testing.controller import ControlError, MockController

from .checks import body_status
from .profiles import suite_settings
from .strategies import bad_personalize_prompts, valid_prompts
from .target import Target

pytestmark = pytest.mark.properties

KEY = "contract-machine-key"
COSTS = {"fast": 2, "relaxed": 1}  # CONTRACT.md [doc example + decision]
MAX_IN_PROGRESS = 10  # [doc]


@dataclass
class ModelTask:
    cost: int
    status: int = 0


class ContractMachine(RuleBasedStateMachine):
    tasks = Bundle("tasks")

    def __init__(self, target: Target) -> None:
        super().__init__()
        assert target.control is not None
        self.target = target
        self.control: MockController = target.control
        self.model: dict[str, ModelTask] = {}
        self.balance = 0

    # -- the model's view of the mock ---------------------------------------------------------

    def refresh(self) -> None:
        """Poll every known task; apply what finished to the model (refunds included).

        On a manual clock a status can only change inside `advance`, `complete` or `fail`, so
        the rules that call those refresh; the others do not need to.
        """
        ids = list(self.model)
        for start in range(0, len(ids), 100):
            for item in self.target.statuses(ids[start : start + 100], key=KEY):
                task = self.model[item["taskId"]]
                status = int(item["status"])
                if task.status != 0:
                    assert status == task.status, f"{item['taskId']}: {task.status} -> {status}"
                elif status == 2:
                    self.balance += task.cost
                task.status = status

    def in_progress(self) -> int:
        return sum(1 for task in self.model.values() if task.status == 0)

    # -- rules -----------------------------------------------------------------------------------

    @initialize(quota=st.sampled_from([3, 13, 40]))
    def open_account(self, quota: int) -> None:
        self.target.reset()
        self.control.add_key(KEY, quota)
        self.balance = quota

    @rule(
        target=tasks,
        prompt=valid_prompts() | bad_personalize_prompts(),
        mode=st.sampled_from(sorted(COSTS)),
    )
    def submit(self, prompt: str, mode: str) -> object:
        cost = COSTS[mode]
        response = self.target.post_submit({"prompt": prompt, "mode": mode}, key=KEY)
        body = response.json()
        code = body_status(body)
        event(f"submit answered {code}")
        if self.balance < cost:
            assert code == 1001, body
        elif self.in_progress() >= MAX_IN_PROGRESS:
            assert code == 1002, body
        else:
            assert code == 0, body
            task_id: str = body["data"]["taskId"]
            assert task_id not in self.model
            self.model[task_id] = ModelTask(cost)
            self.balance -= cost
            return task_id
        return multiple()

    @rule(ids=st.lists(tasks, min_size=1, max_size=6), unknown=st.booleans())
    def poll(self, ids: list[str], unknown: bool) -> None:
        asked = [*ids, "zz-never-a-task-id"] if unknown else ids
        items = self.target.statuses(asked, key=KEY)
        assert [item["taskId"] for item in items] == list(dict.fromkeys(ids))
        for item in items:
            assert int(item["status"]) == self.model[item["taskId"]].status, item

    @rule(seconds=st.sampled_from([0.5, 3, 20, 45, 120, 600]))
    def advance(self, seconds: float) -> None:
        self.control.advance(seconds)
        self.refresh()

    @rule(task_id=tasks)
    def force_complete(self, task_id: str) -> None:
        if self.model[task_id].status == 0:
            self.control.complete(task_id)
        else:
            with pytest.raises(ControlError):
                self.control.complete(task_id)
        self.refresh()
        assert self.model[task_id].status in (1, 2)

    @rule(task_id=tasks, reason=st.sampled_from(["Job action restricted", "Queue full"]))
    def force_fail(self, task_id: str, reason: str) -> None:
        was = self.model[task_id].status
        if was == 0:
            self.control.fail(task_id, reason)
        else:
            with pytest.raises(ControlError):
                self.control.fail(task_id, reason)
        self.refresh()
        if was == 0:
            assert self.target.item(task_id, key=KEY)["failReason"] == reason

    @rule(quota=st.integers(0, 12))
    def set_quota(self, quota: int) -> None:
        self.control.add_key(KEY, quota)
        self.balance = quota

    # -- invariants --------------------------------------------------------------------------------

    @invariant()
    def ledger_and_slots(self) -> None:
        quota = self.control.quota(KEY)
        assert quota >= 0
        assert quota == self.balance, f"quota {quota}, model says {self.balance}"
        assert self.in_progress() <= MAX_IN_PROGRESS


@pytest.mark.needs_control
@pytest.mark.decision("quota-ledger")
def test_submit_poll_advance_and_forced_outcomes_keep_the_invariants(target: Target) -> None:
    # Hypothesis types its first argument as a class across versions in different ways; a
    # factory that closes over the target is what it documents, so call it untyped.
    run_machine: Any = run_state_machine_as_test
    run_machine(lambda: ContractMachine(target), settings=suite_settings(scale=2))
