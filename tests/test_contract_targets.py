"""The contract suite is target-agnostic, and it catches broken servers.

The suite runs here as subprocesses, exactly as a team runs it:

- against `inprocess` and `server` (the mock's pytest fixtures);
- against `live` pointed at the real `MockServer` on a real clock (time scale 1000, so jobs
  finish in well under a second) with the control API off: the live code path, for real, with
  nothing but a base URL and keys; its recording must show no drift;
- against `live` with the default budget of 2 jobs, and without a key;
- against `live` pointed at deliberately broken variants of the mock, with `-x`: each must fail
  the suite, for its own reason.

All runs start at once (the first test waits for its own), so the module costs about as much
wall time as its slowest runs, not their sum.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from contract_tests.drift import drift_command

from .contract_support.broken import VARIANTS, Variant
from .contract_support.runner import SuiteRun, start_suite
from .contract_support.serving import live_mock, wrapped_live_mock

KEY, KEY_2, EMPTY = "contract-live-key", "contract-live-key-2", "contract-live-empty"
FAST_LIVE = ["--mj-job-timeout", "30", "--mj-poll-interval", "0.02"]


def _live(url: str, *extra: str) -> list[str]:
    return ["--mj-base-url", url, "--mj-api-key", KEY, *FAST_LIVE, *extra]


class Runs:
    """Every planned run; started together, unless under xdist (then each on first use)."""

    def __init__(self, plans: dict[str, Callable[[], SuiteRun]]) -> None:
        self._plans = plans
        self._runs: dict[str, SuiteRun] = {}
        if not os.environ.get("PYTEST_XDIST_WORKER"):
            for name in plans:
                self[name]

    def __getitem__(self, name: str) -> SuiteRun:
        if name not in self._runs:
            self._runs[name] = self._plans[name]()
        return self._runs[name]

    def kill_all(self) -> None:
        for run in self._runs.values():
            run.kill()


@pytest.fixture(scope="module")
def record_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mj-record")


@pytest.fixture(scope="module")
def runs(record_dir: Path) -> Iterator[Runs]:
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(live_mock())
        broken = {v.name: stack.enter_context(wrapped_live_mock(v.wrap)) for v in VARIANTS}
        full_live = _live(
            url,
            "--mj-api-key-2",
            KEY_2,
            "--mj-empty-api-key",
            EMPTY,
            "--mj-max-jobs",
            "500",
            "--mj-hook-listen",
            "127.0.0.1:0",
            "--mj-record",
            str(record_dir),
        )
        plans: dict[str, Callable[[], SuiteRun]] = {
            "live": partial(start_suite, "live", "live", *full_live),
            "inprocess": partial(start_suite, "inprocess", "inprocess"),
            "server": partial(start_suite, "server", "server"),
            "live-budget-2": partial(start_suite, "live-budget-2", "live", *_live(url)),
            "live-no-key": partial(start_suite, "live-no-key", "live"),
        }
        for name, broken_url in broken.items():
            args = _live(broken_url, "--mj-max-jobs", "50")
            plans[name] = partial(start_suite, name, "live", "-x", *args)
        all_runs = Runs(plans)
        try:
            yield all_runs
        finally:
            all_runs.kill_all()


@pytest.mark.parametrize("target", ["inprocess", "server"])
def test_the_suite_passes_against_the_mock(runs: Runs, target: str) -> None:
    result = runs[target].result()
    assert result.returncode == 0, result.tail()
    assert result.count("passed") >= 80 and result.count("skipped") == 0, result.tail()
    assert result.spent is not None and result.spent[2] == target, result.tail()


def test_the_live_suite_passes_against_a_mock_without_control(runs: Runs, record_dir: Path) -> None:
    result = runs["live"].result()
    assert result.returncode == 0, result.tail()
    assert result.count("failed") == 0 and result.count("passed") >= 55, result.tail()
    # Only what live cannot do is skipped: control, mock decisions. Budget and keys suffice.
    assert "needs control of the target" in result.output
    assert "job budget used up" not in result.output
    assert "needs a second API key" not in result.output
    assert "no hook receiver" not in result.output
    spent = result.spent
    assert spent is not None and 2 < spent[0] <= 500 and spent[2] == "live", result.tail()
    # The recording has no key in it, and matches the schemas: no drift.
    recorded = list(record_dir.glob("*.json"))
    assert len(recorded) > 50
    assert not any(KEY in path.read_text(encoding="utf-8") for path in recorded)
    report = CliRunner().invoke(drift_command, [str(record_dir)])
    assert report.exit_code == 0, report.output
    assert "no drift" in report.output


def test_the_live_suite_keeps_to_a_budget_of_two_jobs(runs: Runs) -> None:
    result = runs["live-budget-2"].result()
    assert result.returncode == 0, result.tail()
    assert result.spent == (2, 2, "live"), result.tail()
    assert "job budget used up: --mj-max-jobs 2" in result.output
    assert result.count("passed") >= 40, result.tail()
    assert result.output.rstrip().splitlines()[-1] == "mj contract: spent 2 of 2 jobs on live"


def test_the_live_suite_without_a_key_skips_everything_with_one_message(runs: Runs) -> None:
    result = runs["live-no-key"].result()
    assert result.returncode == 0, result.tail()
    assert result.count("passed") == 0 and result.count("skipped") >= 80, result.tail()
    reasons = [line for line in result.output.splitlines() if line.startswith("SKIPPED [")]
    assert len(reasons) == 1 and "without an API key" in reasons[0], reasons
    assert result.spent == (0, 2, "live")


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_the_live_suite_catches_a_broken_server(runs: Runs, variant: Variant) -> None:
    result = runs[variant.name].result()
    assert result.returncode == 1, result.tail()
    assert result.failed_nodes, result.tail()
    assert variant.tell in result.output, result.tail()
