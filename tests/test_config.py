"""Where settings come from, and how bad ones are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.cli import REAL_CLOCK_TIME_SCALE, build_config
from mock_server.config import (
    DEV_API_KEY,
    DEV_QUOTA,
    Config,
    ConfigError,
    keys_from_env,
    load_config_file,
    parse_key_spec,
)
from mock_server.domain.clock import ManualClock, RealClock


def _build(**overrides: object) -> Config:
    options: dict[str, object] = {
        "config_file": None,
        "api_keys": (),
        "clock": None,
        "time_scale": None,
        "seed": None,
        "flags": {},
    }
    options.update(overrides)
    return build_config(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("k", ("k", DEV_QUOTA)), ("k:10", ("k", 10)), ("a:b:5", ("a:b", 5)), ("k:0", ("k", 0))],
)
def test_key_specs(spec: str, expected: tuple[str, int]) -> None:
    assert parse_key_spec(spec) == expected


@pytest.mark.parametrize("spec", [":10", "k:-1", "trial:abc", "a:b"])
def test_bad_key_specs(spec: str) -> None:
    with pytest.raises(ConfigError, match=r"quota|empty"):
        parse_key_spec(spec)


def test_defaults_give_the_dev_key_and_a_fast_real_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MJ_MOCK_API_KEYS", raising=False)
    config = _build()
    assert config.api_keys == {DEV_API_KEY: DEV_QUOTA}
    assert isinstance(config.clock, RealClock)
    assert config.time_scale == REAL_CLOCK_TIME_SCALE


def test_file_then_env_then_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "mock.toml"
    file.write_text(
        '[mock]\napi_keys = ["file-key:5"]\nclock = "manual"\nseed = 3\n'
        'prompt_rules = { personalize_codes = ["abc"] }\n'
    )
    monkeypatch.delenv("MJ_MOCK_API_KEYS", raising=False)
    from_file = _build(config_file=str(file))
    assert from_file.api_keys == {"file-key": 5}
    assert isinstance(from_file.clock, ManualClock) and from_file.time_scale == 1.0
    assert from_file.seed == 3 and from_file.prompt_rules.personalize_codes == {"abc"}
    monkeypatch.setenv("MJ_MOCK_API_KEYS", "env-key:7,other")
    assert _build(config_file=str(file)).api_keys == {"env-key": 7, "other": DEV_QUOTA}
    assert _build(config_file=str(file), api_keys=("cli:1",)).api_keys == {"cli": 1}


def test_json_config_files_work(tmp_path: Path) -> None:
    file = tmp_path / "mock.json"
    file.write_text('{"api_keys": {"j": 3}, "status_as_string": true}')
    assert load_config_file(file) == {"api_keys": {"j": 3}, "status_as_string": True}


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("unknown_thing = 1", "unknown setting 'unknown_thing'"),
        ('clock = "sundial"', "clock: 'sundial' is not one of"),
        ("time_scale = 0", "time_scale"),
        ("not toml [", "not valid"),
        ("hooks = { nope = 1 }", "unknown setting 'hooks.nope'"),
    ],
)
def test_bad_config_files_name_the_problem(tmp_path: Path, content: str, words: str) -> None:
    file = tmp_path / "mock.toml"
    file.write_text(content)
    with pytest.raises(ConfigError, match=words):
        _build(config_file=str(file))


def test_missing_config_file() -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config_file("/nonexistent/mock.toml")


def test_env_keys_parse_lists() -> None:
    assert keys_from_env({"MJ_MOCK_API_KEYS": " a:1 , b "}) == {"a": 1, "b": DEV_QUOTA}
    assert keys_from_env({}) == {}
