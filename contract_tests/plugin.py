"""The suite's pytest plugin: options, markers, the job budget, gates for `live`, the summary.

`contract_tests/conftest.py` loads it (`pytest_plugins`), so `pytest contract_tests ...` needs
nothing else. From an installed wheel: `pytest -p contract_tests.plugin --pyargs contract_tests`.
Its hooks only touch the suite's own tests, so it is harmless in a session that runs others.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from . import profiles
from .budget import JobBudget
from .options import BUDGET_KEY, OPTIONS_KEY, RECORDER_KEY, add_options, resolve
from .recording import Recorder

__all__ = ["is_contract_item", "summary_line"]

_OWNED_DIR_KEY = pytest.StashKey["Path | None"]()
_WORKER_INPUT = "mj_contract_budget_dir"
PACKAGE_DIR = Path(__file__).resolve().parent

MARKERS = {
    "needs_control": "needs control of the target (clock, forced outcomes, accounts, hook "
    "journal); skipped on live",
    "mock_decision": "checks a [decision] of CONTRACT.md the provider does not document; "
    "skipped on live",
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
DECISION_REASON = (
    "checks a [decision] of CONTRACT.md that the provider does not document; mock targets only"
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
    return PACKAGE_DIR in Path(str(item.path)).resolve().parents


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
    if item.get_closest_marker("mock_decision") is not None:
        pytest.skip(DECISION_REASON)


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
            reporter.write_line(summary_line(config))
    if owned is not None:
        shutil.rmtree(owned, ignore_errors=True)
