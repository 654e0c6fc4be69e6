"""The command line: `python -m mock_server`, refused values, SIGTERM, config value types."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

import schemas
from mock_server import Config
from mock_server.cli import main


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_python_dash_m_serves_and_sigterm_exits_cleanly() -> None:
    process = _serve("--clock", "manual", "--cors", "http://app.test")
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("mj-mock serving http://127.0.0.1:"), banner
        url = banner.split()[2]
        assert requests.get(url + "/__mock/health", timeout=10).json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "SIGTERM received, stopped" in out
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--port", "99999"], "0<=x<=65535"),
        (["--port", "-1"], "0<=x<=65535"),
        (["--api-key", "trial:abc"], "quota 'abc' is not an integer"),
        (["--journal-size", "-5"], "--journal-size"),
    ],
)
def test_bad_values_are_refused_by_name(args: list[str], words: str) -> None:
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 2
    assert words in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('max_in_progress = "ten"', "max_in_progress: 'ten' is not of type 'integer'"),
        ("[mock.hooks]\nretries = 1.5", "hooks.retries: 1.5 is not of type 'integer'"),
        ("time_scale = 0", "time_scale: 0 is less than or equal to the minimum"),
        ("colour = 1", "colour"),
    ],
)
def test_a_wrong_config_file_value_names_its_key(tmp_path: Path, text: str, words: str) -> None:
    file = tmp_path / "mock.toml"
    body = text if text.startswith("[") else "[mock]\n" + text
    file.write_text(body)
    result = CliRunner().invoke(main, ["serve", "--config", str(file)])
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output


def test_the_config_schema_lists_every_config_field() -> None:
    fields = {f.name for f in dataclasses.fields(Config)}
    assert set(schemas.load("mock_config")["properties"]) == fields


@pytest.mark.parametrize("command", ["client", "drift"])
def test_the_lazy_sub_commands_load(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: main {command}" in result.output
