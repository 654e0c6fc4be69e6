"""The contract suite is target-agnostic, and it catches broken servers.

The suite runs here as subprocesses, exactly as a team runs it:

- against `inprocess` and `server` (the mock's pytest fixtures);
- against `live` pointed at the real `MockServer` on a real clock (time scale 1000, so jobs
  finish in well under a second) with the control API off: the live code path, for real, with
  nothing but a base URL and keys; its recording must show no drift;
- against `live` with the default budget of 2 jobs, and without a key;
- against `live` pointed at a provider that keeps every [doc] fact and differs in every
  undocumented way (`contract_support/different.py`): the suite must pass and observe each
  difference beside the mock's default;
- against `live` pointed at deliberately broken servers (`contract_support/broken.py`), and
  `inprocess` on broken builds of the mock (`contract_support/mutants.py`): each must fail the
  suite in the test written for what it broke.

Runs start in the background, a few at a time (the machine has few cores), and each test waits
for its own; the module costs about its slowest runs, not their sum.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from contract_tests.calibrate import calibrate
from contract_tests.drift import drift_command
from mock_server import MockServer
from mock_server.cli import build_config
from schemas.recording import load_observations, load_records

from .contract_support.broken import VARIANTS, Variant
from .contract_support.different import documented_but_different
from .contract_support.mutants import MUTANTS, Mutant
from .contract_support.runner import SuiteRun, start_suite
from .contract_support.serving import LIVE_KEYS, TIME_SCALE, live_mock, wrapped_live_mock

KEY, KEY_2, EMPTY = "contract-live-key", "contract-live-key-2", "contract-live-empty"
FAST_LIVE = ["--mj-job-timeout", "30", "--mj-poll-interval", "0.02"]
# Broken targets only need the example-based tests: a targeted test must catch each of them.
EXAMPLES_ONLY = ["-m", "not properties"]
AT_ONCE = 4


def _live(url: str, *extra: str) -> list[str]:
    return ["--mj-base-url", url, "--mj-api-key", KEY, *FAST_LIVE, *extra]


class Runs:
    """Every planned run, started in the background at most `AT_ONCE` at a time (all at once
    would only fight over the cores); under xdist each starts on first use instead."""

    def __init__(self, plans: dict[str, Callable[[], SuiteRun]]) -> None:
        self._plans = plans
        self._runs: dict[str, SuiteRun] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._starter: threading.Thread | None = None
        if not os.environ.get("PYTEST_XDIST_WORKER"):
            self._starter = threading.Thread(target=self._start_all, daemon=True)
            self._starter.start()

    def _start(self, name: str) -> SuiteRun:
        with self._lock:
            if name not in self._runs:
                self._runs[name] = self._plans[name]()
            return self._runs[name]

    def _start_all(self) -> None:
        for name in self._plans:
            while not self._stop.is_set():
                with self._lock:
                    busy = sum(1 for run in self._runs.values() if run.running())
                if busy < AT_ONCE:
                    break
                time.sleep(0.05)
            if self._stop.is_set():
                return
            self._start(name)

    def __getitem__(self, name: str) -> SuiteRun:
        return self._start(name)

    def kill_all(self) -> None:
        self._stop.set()
        if self._starter is not None:
            self._starter.join(timeout=10)
        for run in self._runs.values():
            run.kill()


@pytest.fixture(scope="module")
def record_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mj-record")


@pytest.fixture(scope="module")
def different_record_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mj-record-different")


def _full_live(url: str, record: Path | None = None) -> list[str]:
    return _live(
        url,
        "--mj-api-key-2",
        KEY_2,
        "--mj-empty-api-key",
        EMPTY,
        "--mj-max-jobs",
        "500",
        "--mj-hook-listen",
        "127.0.0.1:0",
        *(["--mj-record", str(record)] if record is not None else []),
    )


@pytest.fixture(scope="module")
def runs(record_dir: Path, different_record_dir: Path) -> Iterator[Runs]:
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(live_mock())
        different = stack.enter_context(documented_but_different())
        broken = {v.name: stack.enter_context(wrapped_live_mock(v.wrap)) for v in VARIANTS}
        full_live = _full_live(url, record_dir)
        plans: dict[str, Callable[[], SuiteRun]] = {
            "live": partial(start_suite, "live", "live", *full_live),
            "inprocess": partial(start_suite, "inprocess", "inprocess"),
            "server": partial(start_suite, "server", "server"),
            "live-budget-2": partial(start_suite, "live-budget-2", "live", *_live(url)),
            "live-no-key": partial(start_suite, "live-no-key", "live"),
            "live-different": partial(
                start_suite, "live-different", "live", *_full_live(different, different_record_dir)
            ),
        }
        for name, broken_url in broken.items():
            args = [*_full_live(broken_url), *EXAMPLES_ONLY]
            plans[name] = partial(start_suite, name, "live", *args)
        for mutant in MUTANTS:
            # The module of the test written to catch it is enough to show that test fails.
            module = "contract_tests/" + mutant.caught_by.split("::")[0]
            args = ["-p", "tests.contract_support.mutants", "--mj-mutant", mutant.name]
            plans[f"mutant-{mutant.name}"] = partial(
                start_suite, mutant.name, "inprocess", *args, *EXAMPLES_ONLY, paths=(module,)
            )
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
    assert f"contract_tests/{variant.caught_by}" in result.failed_nodes, result.tail()
    assert variant.tell in result.output, result.tail()


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_the_suite_catches_a_broken_build_of_the_mock(runs: Runs, mutant: Mutant) -> None:
    result = runs[f"mutant-{mutant.name}"].result()
    assert result.returncode == 1, result.tail()
    assert f"contract_tests/{mutant.caught_by}" in result.failed_nodes, result.tail()


# What the documented-but-different provider does otherwise, as the run summary must say it.
OBSERVED_DIFFERENCES = [
    "unknown ids: reported — the mock's default is left out",
    "another key's ids: reported — the mock's default is left out",
    "item order: its own order — the mock's default is request order",
    "submit answers carry message: false — the mock's default is true",
    "envelope status type: string — the mock's default is integer",
    "bad request prompt-empty: accepted — the mock's default is refused with HTTP 400",
    "bad request timeout-too-long: accepted — the mock's default is refused with HTTP 400",
    "bad request taskids-empty-id: accepted — the mock's default is refused with HTTP 400",
    "bad key answer (submit-jobs): HTTP 403, body status 403 — the mock's default is HTTP 401",
    "bad key answer (job-status): HTTP 200, body status 10001 — the mock's default is HTTP 401",
]


def test_the_live_suite_passes_against_a_documented_but_different_provider(
    runs: Runs, different_record_dir: Path
) -> None:
    result = runs["live-different"].result()
    assert result.returncode == 0, result.tail()
    assert result.count("failed") == 0 and result.count("passed") >= 55, result.tail()
    for line in OBSERVED_DIFFERENCES:
        assert line in result.output, (line, result.tail(90))
    # The drift report (the strict layer) names the fields the mock does not send.
    report = CliRunner().invoke(drift_command, [str(different_record_dir)])
    assert report.exit_code == 1, report.output
    # `image` is the mock's own now (the Python guide reads it): not a new field any more.
    assert "data[].image" not in report.output
    assert "job-status (HTTP 200) data[].seed" in report.output


CALIBRATED = {
    "job_status_envelope": True,
    "status_as_string": True,
    "submit_message": False,
    "error_data": False,
    "unknown_ids": "report",
    "extra_item_fields": {"seed": 1234567},
}


def _calibration(directory: Path) -> dict[str, object]:
    records = [record for _, record in load_records(directory)]
    return calibrate(records, load_observations(directory)).settings()


def test_a_mock_calibrated_from_a_live_recording_answers_like_that_provider(
    runs: Runs, different_record_dir: Path, tmp_path: Path
) -> None:
    assert runs["live-different"].result().returncode == 0
    written = tmp_path / "mock.toml"
    report = CliRunner().invoke(
        drift_command, [str(different_record_dir), "--write-config", str(written)]
    )
    assert 'unknown ids: reported -> unknown_ids = "report"' in report.output, report.output
    assert "item order: its own order" in report.output  # an observation with no setting
    assert _calibration(different_record_dir) == CALIBRATED
    # Loaded the way `mj-mock serve --config mock.toml` loads it, and served.
    config = build_config(
        config_file=str(written),
        api_keys=tuple(f"{key}:{quota}" for key, quota in LIVE_KEYS.items()),
        clock="real",
        time_scale=TIME_SCALE,
        seed=None,
        flags={"control_enabled": False},
    )
    record = tmp_path / "calibrated-record"
    with MockServer(config, port=0) as server:
        result = start_suite("calibrated", "live", *_full_live(server.url, record)).result()
    assert result.returncode == 0, result.tail()
    # The calibrated mock's own recording calls for the same settings: it answers as they did.
    assert _calibration(record) == CALIBRATED
