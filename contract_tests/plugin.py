"""The suite's pytest plugin: options, markers, the job budget, gates for `live`, the summary.

`contract_tests/conftest.py` loads it (`pytest_plugins`), so `pytest contract_tests ...` needs
nothing else. From an installed wheel: `pytest -p contract_tests.plugin --pyargs contract_tests`.
Its hooks only touch the suite's own tests, so it is harmless in a session that runs others.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from schemas.recording import Recorder

from . import profiles
from .budget import JobBudget
from .observe import Observations
from .options import (
    BUDGET_KEY,
    OBSERVATIONS_KEY,
    OPTIONS_KEY,
    RECORDER_KEY,
    add_options,
    resolve,
)

__all__ = ["is_contract_item", "source_problems", "summary_line"]

_OWNED_DIR_KEY = pytest.StashKey["Path | None"]()
_WORKER_INPUT = "mj_contract_budget_dir"
PACKAGE_DIR = Path(__file__).resolve().parent

MARKERS = {
    "doc": "asserts only [doc] facts of CONTRACT.md: held on every target, live included",
    "decision(name)": "checks the mock [decision] `name` of CONTRACT.md: asserted on the mock "
    "targets; on live an observation (recorded, printed, never a failure)",
    "needs_control": "needs control of the target (clock, forced outcomes, accounts, hook "
    "journal); skipped on live",
    "properties": "Hypothesis property tests; they run after the example-based tests",
    "spends_jobs": "submits jobs of its own (beyond the shared completed and failed task); "
    "runs last, within --mj-max-jobs",
}

NO_KEY_REASON = (
    "live target without an API key: set MJ_API_KEY or pass --mj-api-key to run the contract "
    "suite against {url} (every live test is skipped; nothing was sent)"
)
CONTROL_REASON = (
    "needs control of the target (manual clock, forced outcomes, accounts); "
    "live is reached over HTTP with a key and nothing else"
)
DECISION_PROPERTY_REASON = (
    "a property test of a [decision]: on live its cases are observed by the example-based tests"
)
SOURCE_RULE = (
    "every contract test declares the source of what it asserts: @pytest.mark.doc (a [doc] fact, "
    'asserted on every target) or @pytest.mark.decision("name") (a mock [decision], asserted '
    "on the mocks and only observed on live), not both"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    options = resolve(config)
    config.stash[OPTIONS_KEY] = options
    profiles.select(options.hypothesis_profile, live=options.live)
    worker_input: dict[str, Any] | None = getattr(config, "workerinput", None)
    owned: Path | None = None
    if worker_input is not None and _WORKER_INPUT in worker_input:
        directory = Path(worker_input[_WORKER_INPUT])
    else:
        directory = owned = Path(tempfile.mkdtemp(prefix="mj-contract-budget-"))
    config.stash[_OWNED_DIR_KEY] = owned
    config.stash[BUDGET_KEY] = JobBudget(options.max_jobs, directory)
    recorder = None
    if options.record_dir is not None:
        recorder = Recorder(options.record_dir, options.secrets())
    config.stash[RECORDER_KEY] = recorder
    config.stash[OBSERVATIONS_KEY] = Observations(recorder)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker spends from the controller's one budget."""
    node.workerinput[_WORKER_INPUT] = str(node.config.stash[BUDGET_KEY].directory)


def pytest_report_header(config: pytest.Config) -> list[str]:
    options = config.stash[OPTIONS_KEY]
    where = options.base_url if options.live else "the mock"
    lines = [
        f"mj contract: target {options.target} ({where}), job budget {options.max_jobs}, "
        f"hypothesis profile {options.hypothesis_profile}"
    ]
    if options.live and not options.api_key:
        lines.append("mj contract: " + NO_KEY_REASON.format(url=options.base_url))
    return lines


def is_contract_item(item: pytest.Item) -> bool:
    """A test of the suite: in this package, or anywhere a test asks for its `target`."""
    if PACKAGE_DIR in Path(str(item.path)).resolve().parents:
        return True
    return "target" in getattr(item, "fixturenames", ())


def decision_name(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("decision")
    if marker is None:
        return None
    name = marker.args[0] if marker.args else marker.kwargs.get("name")
    return name if isinstance(name, str) and name.strip() else None


def source_problems(items: list[pytest.Item]) -> list[str]:
    """The contract tests that do not say whether they assert a [doc] fact or a [decision]."""
    found = []
    for item in items:
        doc = item.get_closest_marker("doc") is not None
        decision = item.get_closest_marker("decision")
        if decision is not None and decision_name(item) is None:
            found.append(f"{item.nodeid}: @pytest.mark.decision needs the decision's name")
        elif doc == (decision is not None):
            found.append(f"{item.nodeid}: {'both markers' if doc else 'no source marker'}")
    return found


def _cost_rank(item: pytest.Item) -> int:
    """Free example-based tests first, then those looking at the two shared tasks, then the
    free property tests, then those spending jobs of their own. On live with a small budget the
    most checks per job run before the budget is gone, and a broken target is caught (`-x`)
    before the long property runs."""
    if item.get_closest_marker("spends_jobs") is not None:
        return 3
    if item.get_closest_marker("properties") is not None:
        return 2
    names = set(getattr(item, "fixturenames", ()))
    return 1 if names & {"completed_task", "failed_task"} else 0


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    positions = [i for i, item in enumerate(items) if is_contract_item(item)]
    if not positions:
        return
    problems = source_problems([items[i] for i in positions])
    if problems:
        raise pytest.UsageError(SOURCE_RULE + ":\n  " + "\n  ".join(problems))
    ours = sorted((items[i] for i in positions), key=_cost_rank)
    for position, item in zip(positions, ours, strict=True):
        items[position] = item
    options = config.stash[OPTIONS_KEY]
    if config.pluginmanager.hasplugin("timeout") and (
        options.live or options.hypothesis_profile != "ci"
    ):
        # A live test may wait for a few real jobs, and the longer Hypothesis profiles run
        # many more examples: the project-wide per-test timeout must not cut either short.
        limit = (options.job_timeout * 4 if options.live else 0) + (
            120 if options.hypothesis_profile == "ci" else 3600
        )
        for item in ours:
            item.add_marker(pytest.mark.timeout(limit))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if not is_contract_item(item):
        return
    options = item.config.stash[OPTIONS_KEY]
    if not options.live:
        return
    if not options.api_key:
        pytest.skip(NO_KEY_REASON.format(url=options.base_url))
    if item.get_closest_marker("needs_control") is not None:
        pytest.skip(CONTROL_REASON)
    if decision_name(item) is not None and item.get_closest_marker("properties") is not None:
        pytest.skip(DECISION_PROPERTY_REASON)
    item.config.stash[OBSERVATIONS_KEY].current_test = item.nodeid


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """On live a [decision] test never fails on the decision: what it found is an observation.
    A broken contract ([doc], the consumer schemas, a status moving back) still fails it."""
    name = decision_name(item) if is_contract_item(item) else None
    if name is None or not item.config.stash[OPTIONS_KEY].live:
        return (yield)
    from .answers import ContractViolation

    observations = item.config.stash[OBSERVATIONS_KEY]
    try:
        result = yield
    except ContractViolation:
        raise
    except AssertionError as exc:
        first = (str(exc).strip().splitlines() or ["(no message)"])[0]
        observations.add(name, f"differs: {first[:160]}", "as the mock")
        return None
    if item.nodeid not in observations.touched:
        observations.add(name, "as the mock", "as the mock")
    return result


def options_live(config: pytest.Config) -> bool:
    return bool(config.stash[OPTIONS_KEY].live)


def summary_line(config: pytest.Config) -> str:
    options = config.stash[OPTIONS_KEY]
    budget = config.stash[BUDGET_KEY]
    line = f"mj contract: spent {budget.spent()} of {budget.limit} jobs on {options.target}"
    if options.live and not options.api_key:
        line += " (no API key: every live test was skipped)"
    return line


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if OPTIONS_KEY not in config.stash:
        return
    owned = config.stash[_OWNED_DIR_KEY]
    if getattr(config, "workerinput", None) is None:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        # Printed last, after pytest's own summary: the run ends with what it spent.
        if reporter is not None:
            lines = config.stash[OBSERVATIONS_KEY].lines() if options_live(config) else []
            if lines:
                reporter.write_line(
                    "mj contract: observed on live (mock [decision]s, never a failure):"
                )
                for line in lines:
                    reporter.write_line("  " + line)
            reporter.write_line(summary_line(config))
    if owned is not None:
        shutil.rmtree(owned, ignore_errors=True)
