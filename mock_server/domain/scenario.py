"""Scenario files: a timeline (accounts, per-task outcomes, faults, expected hooks) for the mock.

Teams test timelines, not single calls: "the third task fails after 40 s", "job-status answers
503 twice from t=30 s". A scenario says so in a file checked by `schemas/scenario.schema.json`.
There is no second lifecycle here: a rule rewrites the plan of a task the backend has just made
(`planned_status`, `planned_reason`, `due_at`, the same fields a seeded draw fills), faults are
installed through the backend's `FaultInjector` from its scheduler, so they land on the mock's
clock, and accounts through `add_key`. A reset restarts the loaded scenario from t=0.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeAlias

import schemas
from mock_server.domain.lifecycle import MidjourneyBackend, timeout_reason
from mock_server.domain.per_backend import PerBackend
from mock_server.errors import InvalidRequest, NotFound
from mock_server.records import Task, TaskStatus

__all__ = [
    "Scenario",
    "ScenarioError",
    "ScenarioPlayer",
    "ScenarioSource",
    "load_scenario",
    "player_for",
    "shipped_scenarios",
]

_OUTCOMES = {"completed": TaskStatus.COMPLETED, "failed": TaskStatus.FAILED}


class ScenarioError(InvalidRequest):
    """A scenario that cannot be loaded; a 400 on the control API, a usage error on the CLI."""


@dataclass(frozen=True)
class Scenario:
    """A validated scenario document (see `schemas/scenario.schema.json`)."""

    document: dict[str, Any] = field(repr=False)

    @property
    def name(self) -> str:
        return str(self.document["name"])

    @property
    def rules(self) -> list[dict[str, Any]]:
        return list(self.document.get("tasks", []))

    @property
    def receiver_answers(self) -> list[int]:
        """The statuses the test's hook receiver should answer with first."""
        return list(self.document.get("receiver", {}).get("answers", []))

    @property
    def expected_hooks(self) -> list[dict[str, Any]]:
        return list(self.document.get("expect", {}).get("hooks", []))


# What `load_scenario`, `mock_midjourney(scenario=...)` and `--scenario` accept.
ScenarioSource: TypeAlias = "str | Path | Mapping[str, Any] | Scenario"


def _scenario_dir() -> Any:
    return resources.files("fixtures").joinpath("scenarios")


def shipped_scenarios() -> list[str]:
    """The names of the scenarios in `fixtures/scenarios/`."""
    return sorted(
        entry.name.removesuffix(".json")
        for entry in _scenario_dir().iterdir()
        if entry.name.endswith(".json")
    )


def parse_scenario(document: Any, origin: str = "scenario") -> Scenario:
    problems = schemas.errors("scenario", document)
    if problems:
        raise ScenarioError(f"{origin} is not a valid scenario: {'; '.join(problems[:5])}")
    return Scenario(dict(document))


def load_scenario(source: ScenarioSource) -> Scenario:
    """A scenario from a document, a shipped name (`"quota-exhaustion"`) or a file path
    (JSON, or YAML when PyYAML is installed)."""
    if isinstance(source, Scenario):
        return source
    if isinstance(source, Mapping):
        return parse_scenario(source)
    text_source = str(source)
    is_name = isinstance(source, str) and "/" not in text_source and "." not in text_source
    if is_name:
        if text_source not in shipped_scenarios():
            known = ", ".join(shipped_scenarios())
            raise NotFound(f"no shipped scenario {text_source!r}; known: {known}")
        text = _scenario_dir().joinpath(f"{text_source}.json").read_text(encoding="utf-8")
        return parse_scenario(json.loads(text), f"scenario {text_source!r}")
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file {path}: {exc.strerror}") from exc
    try:
        if path.suffix in (".yaml", ".yml"):
            import yaml  # optional: only a YAML scenario needs it

            document = yaml.safe_load(text)
        else:
            document = json.loads(text)
    except ImportError as exc:
        raise ScenarioError(f"{path}: YAML scenarios need PyYAML (pip install pyyaml)") from exc
    except ValueError as exc:  # json's and yaml's errors both are
        raise ScenarioError(f"scenario file {path} is not valid: {exc}") from exc
    return parse_scenario(document, f"scenario file {path}")


class ScenarioPlayer:
    """Plays one scenario on one backend: the backend's task planner while loaded."""

    def __init__(self, backend: MidjourneyBackend) -> None:
        self._backend = backend
        self._lock = threading.Lock()
        self.scenario: Scenario | None = None
        self.started_at: float | None = None
        self._submitted: list[tuple[str, str, int | None]] = []  # (task id, key, rule index)
        self._per_key: dict[str, int] = {}

    def load(self, scenario: Scenario) -> None:
        """Replace whatever played before and start `scenario`'s timeline now."""
        with self._lock:
            self.scenario = scenario
        self.restart()

    def unload(self) -> None:
        with self._lock:
            self.scenario = None
            self.started_at = None
            self._submitted.clear()
            self._per_key.clear()
            if self._backend.planner == self._plan:
                self._backend.planner = None

    def restart(self) -> None:
        """t=0 again: counters cleared, accounts set, faults scheduled (a reset calls this)."""
        backend = self._backend
        with self._lock:
            scenario = self.scenario
            if scenario is None:
                return
            self.started_at = backend.clock.now()
            self._submitted.clear()
            self._per_key.clear()
        backend.planner = self._plan
        for account in scenario.document.get("accounts", []):
            backend.add_key(account["key"], int(account["quota"]))
        start = self.started_at
        for entry in scenario.document.get("faults", []):
            spec = dict(entry["fault"])
            at = float(entry.get("at", 0))
            if at <= 0:
                backend.faults.add(spec)
            else:
                # Model seconds, like task durations: divided by the time scale.
                when = start + at / backend.config.time_scale
                backend.schedule(when, functools.partial(self._install_fault, spec))

    def _install_fault(self, spec: dict[str, Any]) -> None:
        if self.scenario is not None:  # unloaded since: its pending faults do nothing
            self._backend.faults.add(spec)

    def _plan(self, task: Task) -> None:
        """Called by the backend (under its lock) with each new task: apply the first rule."""
        with self._lock:
            scenario = self.scenario
            if scenario is None:
                return
            order = len(self._submitted) + 1
            key_order = self._per_key.get(task.api_key, 0) + 1
            self._per_key[task.api_key] = key_order
            chosen: int | None = None
            for index, rule in enumerate(scenario.rules):
                if _matches(rule, task, order, key_order):
                    chosen = index
                    break
            self._submitted.append((task.task_id, task.api_key, chosen))
        if chosen is None:
            return
        rule = scenario.rules[chosen]
        scale = self._backend.config.time_scale
        if rule["outcome"] == "timeout":
            task.planned_status = TaskStatus.FAILED
            task.planned_reason = timeout_reason(task.timeout)
            task.due_at = task.created_at + task.timeout / scale
            return
        task.planned_status = _OUTCOMES[rule["outcome"]]
        task.planned_reason = rule.get("reason")
        task.due_at = task.created_at + float(rule["after"]) / scale

    def snapshot(self) -> tuple[Scenario | None, list[tuple[str, str, int | None]], float | None]:
        """What plays, the tasks submitted since (id, key, rule index) and when it started:
        one consistent look, for `web.wire.scenario_view`."""
        with self._lock:
            return self.scenario, list(self._submitted), self.started_at


def _matches(rule: Mapping[str, Any], task: Task, order: int, key_order: int) -> bool:
    if "key" in rule and rule["key"] != task.api_key:
        return False
    if "order" in rule and rule["order"] != (key_order if "key" in rule else order):
        return False
    return not ("prompt" in rule and rule["prompt"] not in task.prompt)


# The backend's scenario player, made (and tied to its reset) on first use.
player_for = PerBackend(ScenarioPlayer, ScenarioPlayer.restart)
