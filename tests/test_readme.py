"""Every code block of README.md runs as written.

A small collector rather than a Markdown-testing plugin: the blocks are of four kinds (Python
scripts, Python test files, shell sessions against `mj-mock serve`, TOML config files) and each
needs its own harness, which is a few lines here and awkward to bend a plugin into. Generic on
purpose: whatever blocks README.md holds after other branches edit it are found and run.

- `python`: run as a script in a fresh interpreter; a block defining `test_` functions is run as
  a pytest file, with the mock's plugin fixtures. A block naming `127.0.0.1:8080` gets a server.
- `sh`: run in bash with `set -e`. `pip install ...` steps are left out (this environment is the
  installed package), a line `mj-mock serve ARGS` starts that server in the background on a free
  port (a block that only names `127.0.0.1:8080` gets a plain `mj-mock serve`), and every
  `8080` in the block is replaced by that port. The README's test command block
  is not run (it is this run); it must be the command `.ci/run` runs.
- `toml`: read through the config loader and built into a `Config`.
- `json`: a scenario file, loaded into an in-process mock.
- Anything else (no language: the layout tree) is prose.
A block after `<!-- readme-check: skip REASON -->` is skipped with REASON.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from mock_server import Config
from mock_server.config import load_config_file
from mock_server.modes.inprocess import mock_midjourney

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
_FENCE = re.compile(
    r"(?:<!--\s*readme-check:\s*skip\s+(?P<skip>.*?)\s*-->\s*\n)?"
    r"^```(?P<lang>[\w+-]*)[^\n]*\n(?P<code>.*?)^```\s*$",
    re.M | re.S,
)
_SERVE = re.compile(r"^(?:.*&&\s*)?mj-mock serve\b(?P<args>[^\n]*)$", re.M)
_PIP = re.compile(r"(?:python -m )?pip install [^&\n]*(?:&&\s*)?")
BLOCK_TIMEOUT = 180


@dataclass(frozen=True)
class Block:
    line: int
    lang: str
    code: str
    skip: str | None

    @property
    def id(self) -> str:
        return f"L{self.line}-{self.lang or 'text'}"


def _blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    return [
        Block(text.count("\n", 0, m.start("code")), m["lang"], m["code"], m["skip"])
        for m in _FENCE.finditer(text)
    ]


BLOCKS = _blocks()


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MJ_", "PYTEST_"))}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _ci_test_command() -> str:
    match = re.search(r"^README_TEST_COMMAND='(.*)'$", (ROOT / ".ci/run").read_text(), re.M)
    assert match, ".ci/run must name the README's test command"
    return match[1]


@contextmanager
def _server(args: str, cwd: Path) -> Iterator[str]:
    """`mj-mock serve ARGS` on a free port; yields the port."""
    argv = [a for a in shlex.split(args) if a != "&"]
    command = [sys.executable, "-m", "mock_server", "serve", *argv, "--port", "0"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=cwd
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("mj-mock serving http://"), banner + process.stderr.read()
        yield banner.split()[2].rsplit(":", 1)[1]
    finally:
        process.terminate()
        process.communicate(timeout=15)


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(
        command, capture_output=True, text=True, env=_env(), cwd=cwd, timeout=BLOCK_TIMEOUT
    )
    assert done.returncode == 0, (
        f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    if command[1:3] == ["-m", "pytest"]:
        assert re.search(r"\b\d+ passed\b", done.stdout) and "failed" not in done.stdout, (
            done.stdout
        )


def _run_python(block: Block, tmp_path: Path) -> None:
    code = block.code
    script = tmp_path / (
        "test_readme_block.py" if re.search(r"^def test_", code, re.M) else "block.py"
    )
    needs_server = re.search(r"(127\.0\.0\.1|localhost):8080", code)
    with _server("", tmp_path) if needs_server else _nothing() as port:
        if port:
            code = code.replace(":8080", f":{port}")
        script.write_text(code)
        if script.name.startswith("test_"):
            _run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", script.name],
                tmp_path,
            )
        else:
            _run([sys.executable, script.name], tmp_path)


@contextmanager
def _nothing() -> Iterator[str]:
    yield ""


def _run_sh(block: Block, tmp_path: Path) -> None:
    if block.code.strip() == _ci_test_command():
        return  # the README's test command: this very run (.ci/run runs it on each Python)
    serve = _SERVE.search(block.code)
    script = _PIP.sub("", block.code)
    needs_server = serve or re.search(r"(127\.0\.0\.1|localhost):8080", script)
    args = serve["args"] if serve else ""
    with _server(args, tmp_path) if needs_server else _nothing() as port:
        if needs_server:
            script = _SERVE.sub("", script, count=1)
            script = script.replace("8080", port)
            script = f"curl -sf http://127.0.0.1:{port}/__mock/health >/dev/null || true\n{script}"
        _run(["bash", "-euo", "pipefail", "-c", script], tmp_path)


def _run_toml(block: Block, tmp_path: Path) -> None:
    file = tmp_path / "mock.toml"
    file.write_text(block.code)
    config = Config.from_mapping(load_config_file(file))
    assert isinstance(config, Config)


def _run_json(block: Block, tmp_path: Path) -> None:
    """A JSON block is a scenario file: written out and loaded by `mj-mock`'s own loader."""
    file = tmp_path / "scenario.json"
    file.write_text(block.code)
    with mock_midjourney(scenario=file) as mj:
        assert mj.scenario["name"] == json.loads(block.code)["name"]


RUNNERS = {
    "python": _run_python,
    "sh": _run_sh,
    "bash": _run_sh,
    "toml": _run_toml,
    "json": _run_json,
}


def test_the_readme_has_blocks_of_every_kind() -> None:
    assert {b.lang for b in BLOCKS} >= {"python", "sh", "toml"}
    assert any("httpx.AsyncClient" in b.code for b in BLOCKS), "the async httpx example"


def test_the_readme_test_command_is_what_ci_runs() -> None:
    assert any(b.code.strip() == _ci_test_command() for b in BLOCKS)


@pytest.mark.timeout(BLOCK_TIMEOUT * 2)
@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_readme_block_runs_as_written(block: Block, tmp_path: Path) -> None:
    if block.skip:
        pytest.skip(block.skip)
    runner = RUNNERS.get(block.lang)
    if runner is None:
        assert block.lang == "", f"no runner for ```{block.lang} blocks: add one"
        return
    runner(block, tmp_path)
