"""Run `pytest contract_tests ...` as a subprocess, the way a team runs it, and read the result."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["REPO_ROOT", "SuiteRun", "start_suite"]

REPO_ROOT = Path(__file__).resolve().parents[2]
_NODE = re.compile(r"^(FAILED|ERROR) (contract_tests/\S+)", re.MULTILINE)
_SUMMARY = re.compile(r"^mj contract: spent (\d+) of (\d+) jobs on (\w+)", re.MULTILINE)
_STATS = re.compile(r"\d+ (passed|failed|skipped|errors?|deselected)\b.* in [0-9.]+s")
# The suite needs the mock's fixtures; the other two keep the project's `timeout` setting and
# Hypothesis' reporting. Other plugins installed alongside are not loaded: each inner run would
# pay for importing them.
_PLUGINS = ("mock_server.testing.pytest_plugin", "pytest_timeout", "_hypothesis_pytestplugin")
# Variables that would point the inner run elsewhere than the test says.
_DROP_PREFIXES = ("MJ_", "MIDJOURNEY_", "PYTEST_XDIST", "PYTEST_ADDOPTS", "PYTEST_CURRENT")


@dataclass
class Finished:
    returncode: int
    output: str
    seconds: float

    @property
    def failed_nodes(self) -> list[str]:
        return [match.group(2) for match in _NODE.finditer(self.output)]

    @property
    def spent(self) -> tuple[int, int, str] | None:
        match = _SUMMARY.search(self.output)
        if match is None:
            return None
        return int(match.group(1)), int(match.group(2)), match.group(3)

    def count(self, outcome: str) -> int:
        """How many tests ended `outcome` (passed, failed, skipped, error), from pytest's stats."""
        stats = [line for line in self.output.splitlines() if _STATS.search(line)]
        match = re.search(rf"(\d+) {outcome}", stats[-1]) if stats else None
        return int(match.group(1)) if match else 0

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


class SuiteRun:
    """A running contract suite; `result()` waits for it (bounded) and returns what it said."""

    def __init__(
        self,
        name: str,
        args: list[str],
        timeout: float,
        paths: tuple[str, ...] = ("contract_tests",),
    ) -> None:
        self.name = name
        self.timeout = timeout
        env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP_PREFIXES)}
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        # `live` honours proxy settings, as a client of the real API must; ours is on loopback.
        for name in ("NO_PROXY", "no_proxy"):
            env[name] = ",".join(filter(None, [env.get(name), "127.0.0.1", "localhost"]))
        plugins = [arg for plugin in _PLUGINS if _importable(plugin) for arg in ("-p", plugin)]
        command = [sys.executable, "-m", "pytest", *paths, "-p", "no:cacheprovider"]
        # Closed in result(): the file outlives this method on purpose.
        self._log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self._started = time.monotonic()
        self._process = subprocess.Popen(
            [*command, *plugins, *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._finished: Finished | None = None

    def result(self) -> Finished:
        if self._finished is None:
            try:
                code = self._process.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                code = -1
            seconds = time.monotonic() - self._started
            self._log.seek(0)
            self._finished = Finished(code, self._log.read(), seconds)
            self._log.close()
        return self._finished

    def running(self) -> bool:
        return self._process.poll() is None

    def kill(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)


def _importable(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def start_suite(
    name: str,
    target: str,
    *args: str,
    timeout: float = 240,
    paths: tuple[str, ...] = ("contract_tests",),
) -> SuiteRun:
    return SuiteRun(name, ["--mj-target", target, *args], timeout, paths)
