"""The contract suite's source rule: every test says [doc] or [decision], and on live a
decision is observed, never a failure (`contract_tests/plugin.py`, `contract_tests/observe.py`).

Each case runs pytest in a subprocess on a small test file of its own that asks for a `target`,
which is what makes a test a contract test to the plugin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from schemas.recording import load_observations, load_records

from .contract_support.runner import REPO_ROOT

CASES = """
import pytest

@pytest.fixture
def target():
    return "a target"

@pytest.mark.doc
def test_a_documented_fact(target):
    assert DOC_HOLDS

@pytest.mark.decision("unknown ids")
def test_a_decision(target):
    assert "reported" == "left out"
"""


def _run(directory: Path, source: str, *args: str) -> subprocess.CompletedProcess[str]:
    (directory / "test_cases.py").write_text(source, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MJ_", "PYTEST_"))}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "contract_tests.plugin",
        "-p",
        "no:cacheprovider",
    ]
    return subprocess.run(
        [*command, "-q", "test_cases.py", *args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_contract_test_without_its_source_fails_collection(tmp_path: Path) -> None:
    source = (
        CASES.replace("DOC_HOLDS", "True")
        + """
def test_unmarked(target):
    assert True

@pytest.mark.decision
def test_nameless_decision(target):
    assert True
"""
    )
    result = _run(tmp_path, source)
    assert result.returncode == 4, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "test_cases.py::test_unmarked: no source marker" in output
    assert "test_nameless_decision: @pytest.mark.decision needs the decision's name" in output
    assert "test_a_documented_fact" not in output


def test_on_a_mock_target_a_decision_is_asserted(tmp_path: Path) -> None:
    result = _run(tmp_path, CASES.replace("DOC_HOLDS", "True"), "--mj-target", "inprocess")
    assert result.returncode == 1, result.stdout
    assert "FAILED test_cases.py::test_a_decision" in result.stdout
    assert "1 failed, 1 passed" in result.stdout


def test_on_live_a_decision_is_observed_and_recorded_and_a_doc_fact_still_fails(
    tmp_path: Path,
) -> None:
    record = tmp_path / "record"
    live = [
        "--mj-target",
        "live",
        "--mj-api-key",
        "sk-test-source-rule",
        "--mj-record",
        str(record),
    ]
    result = _run(tmp_path, CASES.replace("DOC_HOLDS", "False"), *live)
    assert result.returncode == 1, result.stdout
    assert "FAILED test_cases.py::test_a_documented_fact" in result.stdout
    assert "1 failed, 1 passed" in result.stdout
    lines = result.stdout.splitlines()
    at = lines.index("mj contract: observed on live (mock [decision]s, never a failure):")
    assert lines[at + 1].startswith("  unknown ids: differs: assert 'reported' == 'left out'")
    assert lines[at + 1].endswith(" — the mock's default is as the mock")
    assert lines[-1] == "mj contract: spent 0 of 2 jobs on live"
    observed = load_observations(record)
    assert [o["observation"] for o in observed] == ["unknown ids"]
    assert observed[0]["test"] == "test_cases.py::test_a_decision"
    assert observed[0]["matches"] is False
    assert json.loads(json.dumps(observed[0]))["mock_default"] == "as the mock"
    # The observation files are not response records: the drift loader passes over them.
    assert load_records(record) == []
