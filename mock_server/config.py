"""One object that holds every knob of the mock.

Each [decision] of CONTRACT.md that the real API leaves open is a field here, so a team whose
provider behaves differently can say so instead of patching the mock. The CLI, the pytest plugin
and the in-process mode all build a `Config`; nothing else reads settings.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .clock import Clock, ManualClock, RealClock
from .prompt import PromptRules

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "DEFAULT_BASE_URL",
    "DEV_API_KEY",
    "DEV_QUOTA",
    "Config",
    "ConfigError",
    "HookPolicy",
    "keys_from_env",
    "load_config_file",
    "parse_key_spec",
]

DEFAULT_BASE_URL = "https://api.midjourney-api.com"
DEV_API_KEY = "mj-mock-dev-key"
DEV_QUOTA = 1_000_000
KEYS_ENV_VAR = "MJ_MOCK_API_KEYS"


class ConfigError(ValueError):
    """A setting that cannot be used; the CLI prints it instead of a traceback."""


@dataclass(frozen=True)
class HookPolicy:
    """[decision] How hookUrl callbacks are delivered; CONTRACT.md documents only 'a POST'."""

    retries: int = 3
    backoff_seconds: tuple[float, ...] = (1.0, 2.0, 4.0)
    attempt_timeout: float = 10.0
    envelope: bool = False
    allowed_hosts: frozenset[str] | None = None
    max_response_bytes: int = 64 * 1024


def _default_durations() -> dict[str, tuple[float, float]]:
    # [decision] Seconds of model time; a seeded draw inside the range per task. Fast jobs fit
    # inside 60 s so a test that advances a minute sees them done.
    return {"fast": (30.0, 50.0), "relaxed": (60.0, 240.0)}


@dataclass
class Config:
    """Settings of one mock instance. Defaults are CONTRACT.md's documented values or decisions."""

    api_keys: dict[str, int] = field(default_factory=lambda: {DEV_API_KEY: DEV_QUOTA})
    clock: Clock = field(default_factory=RealClock)
    # Model seconds per wall second: durations and timeouts are divided by it.
    time_scale: float = 1.0
    seed: int = 0
    durations: dict[str, tuple[float, float]] = field(default_factory=_default_durations)
    mode_costs: dict[str, int] = field(default_factory=lambda: {"fast": 2, "relaxed": 1})
    refund_failed: bool = True
    max_in_progress: int = 10
    default_timeout: int = 600
    status_as_string: bool = False
    job_status_envelope: bool = False
    lenient_modes: bool = False
    require_json_content_type: bool = True
    max_body_bytes: int = 64 * 1024
    image_base_url: str = "https://cdn.midjourney.com"
    prompt_rules: PromptRules = field(default_factory=PromptRules)
    hooks: HookPolicy = field(default_factory=HookPolicy)
    control_enabled: bool = True
    control_token: str | None = None
    # SQLite file keeping accounts, balances, tasks and the hook journal across restarts; None
    # keeps everything in memory. On restart the file's accounts win over `api_keys`.
    state_file: str | None = None
    # Entries the request journal (`GET /__mock/requests`) keeps, newest win; 0 turns it off.
    journal_size: int = 1000
    # Origins allowed to call the API and the CDN from a browser (`--cors`); "*" allows any.
    # Empty: no CORS headers, as the real API has none documented.
    cors_origins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ConfigError("time_scale must be positive")
        if self.max_in_progress < 1:
            raise ConfigError("max_in_progress must be at least 1")
        for mode, (low, high) in self.durations.items():
            if not 0 <= low <= high:
                raise ConfigError(f"durations.{mode}: need 0 <= min <= max, got {low}, {high}")
        for key, quota in self.api_keys.items():
            if not key or quota < 0:
                raise ConfigError(f"api key {key!r}: needs a non-empty key and a quota >= 0")
        if self.journal_size < 0:
            raise ConfigError("journal_size must be >= 0")
        self.cors_origins = tuple(self.cors_origins)
        self.image_base_url = self.image_base_url.rstrip("/")

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **changes)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], base: Config | None = None) -> Config:
        """Build from a config file's table or CLI options, naming any unknown or bad setting."""
        known = {f.name for f in fields(cls)}
        changes: dict[str, Any] = {}
        for name, value in values.items():
            try:
                changes.update(_converted(name, value, known))
            except ConfigError:
                raise
            except (TypeError, ValueError, AttributeError, IndexError) as exc:
                raise ConfigError(f"setting {name!r}: {exc}") from exc
        return replace(base or cls(), **changes)


def _converted(name: str, value: Any, known: set[str]) -> dict[str, Any]:
    """One setting in the form Config holds it, from the loose form files and options use."""
    if name == "clock":
        return {"clock": _clock_from_name(value)}
    if name == "api_keys":
        return {"api_keys": _keys_from_value(value)}
    if name == "prompt_rules":
        return {"prompt_rules": _prompt_rules_from_mapping(value)}
    if name == "hooks":
        return {"hooks": _hook_policy_from_mapping(value)}
    if name == "durations":
        return {"durations": {m: (float(r[0]), float(r[1])) for m, r in value.items()}}
    if name in known:
        return {name: value}
    raise ConfigError(f"unknown setting {name!r}")


def _clock_from_name(value: Any) -> Clock:
    if isinstance(value, Clock):
        return value
    if value == "real":
        return RealClock()
    if value == "manual":
        return ManualClock()
    raise ConfigError(f"clock must be 'real' or 'manual', got {value!r}")


def _keys_from_value(value: Any) -> dict[str, int]:
    if isinstance(value, Mapping):
        return {str(k): int(v) for k, v in value.items()}
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    keys: dict[str, int] = {}
    for spec in value:
        key, quota = parse_key_spec(str(spec))
        keys[key] = quota
    return keys


def _prompt_rules_from_mapping(value: Mapping[str, Any]) -> PromptRules:
    rules = PromptRules()
    changes: dict[str, Any] = {}
    for name, item in value.items():
        if name in ("personalize_codes", "banned_words"):
            changes[name] = frozenset(str(v) for v in item)
        elif name == "max_prompt_chars":
            changes[name] = int(item)
        elif name in {f.name for f in fields(PromptRules)}:
            changes[name] = item
        else:
            raise ConfigError(f"unknown prompt_rules setting {name!r}")
    return replace(rules, **changes)


def _hook_policy_from_mapping(value: Mapping[str, Any]) -> HookPolicy:
    changes: dict[str, Any] = {}
    for name, item in value.items():
        if name == "backoff_seconds":
            changes[name] = tuple(float(v) for v in item)
        elif name == "allowed_hosts":
            changes[name] = None if item is None else frozenset(str(v) for v in item)
        elif name in {f.name for f in fields(HookPolicy)}:
            changes[name] = item
        else:
            raise ConfigError(f"unknown hooks setting {name!r}")
    return replace(HookPolicy(), **changes)


def parse_key_spec(spec: str) -> tuple[str, int]:
    """`KEY` or `KEY:QUOTA`; a key without a quota gets the development quota.

    Whatever follows the last colon is the quota and must be an integer: `trial:abc` is a
    typo, not a key named "trial:abc". A key holding a colon gives its quota: `a:b:1000`."""
    key, sep, quota = spec.strip().rpartition(":")
    if not sep:
        return spec.strip(), DEV_QUOTA
    if not key:
        raise ConfigError(f"api key spec {spec!r}: the key is empty")
    try:
        amount = int(quota)
    except ValueError:
        raise ConfigError(
            f"api key spec {spec!r}: quota {quota!r} is not an integer; write KEY:QUOTA "
            f"(e.g. {key}:10), or KEY alone for {DEV_QUOTA:,}"
        ) from None
    if amount < 0:
        raise ConfigError(f"api key spec {spec!r}: quota must be >= 0")
    return key, amount


def keys_from_env(environ: Mapping[str, str] | None = None) -> dict[str, int]:
    raw = (environ if environ is not None else os.environ).get(KEYS_ENV_VAR, "")
    return _keys_from_value(raw) if raw.strip() else {}


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a TOML or JSON config file; a TOML file may keep its settings under `[mock]`."""
    file = Path(path)
    try:
        text = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {file}: {exc.strerror}") from exc
    try:
        is_json = file.suffix == ".json"
        data = json.loads(text) if is_json else tomllib.loads(text.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {file} is not valid: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {file} must hold a table of settings")
    section = data.get("mock", data)
    if not isinstance(section, dict):
        raise ConfigError(f"config file {file}: [mock] must be a table")
    # schemas/mock_config.schema.json holds every setting's type, so a wrong one is named here
    # instead of surfacing later as a traceback.
    import schemas

    problems = [
        f"unknown setting {p.removesuffix(': is not an allowed field')!r}"
        if p.endswith(": is not an allowed field")
        else p
        for p in schemas.errors("mock_config", section)
    ]
    if problems:
        raise ConfigError(f"config file {file}: " + "; ".join(problems[:3]))
    return section
