"""One object that holds every knob of the mock.

Each [decision] of CONTRACT.md that the real API leaves open is a field here, so a team whose
provider behaves differently can say so instead of patching the mock. The CLI, the pytest plugin
and the in-process mode all build a `Config`; nothing else reads settings.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from mock_server.domain.clock import Clock, ManualClock, RealClock
from mock_server.domain.prompt_tables import PromptRules

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
    "key_problem",
    "keys_from_env",
    "load_config_file",
    "parse_key_spec",
    "random_seed",
]

DEFAULT_BASE_URL = "https://api.midjourney-api.com"
DEV_API_KEY = "mj-mock-dev-key"
DEV_QUOTA = 1_000_000
KEYS_ENV_VAR = "MJ_MOCK_API_KEYS"
UNKNOWN_ID_POLICIES = ("omit", "report")
SERVERS = ("waitress", "granian")
# [doc] The fields of a completed job-status item: extra_item_fields adds to them, never over them.
DOCUMENTED_ITEM_FIELDS = frozenset(
    {"taskId", "status", "jobId", "images", "prompt", "mjPrompt", "createdAt", "meta"}
)


class ConfigError(ValueError):
    """A setting that cannot be used; the CLI prints it instead of a traceback."""


@dataclass(frozen=True)
class HookPolicy:
    """How hookUrl callbacks are delivered. The body's envelope is the Python guide's [doc];
    retries, timeouts and host limits are [decision]s (the docs say only "a POST")."""

    retries: int = 3
    backoff_seconds: tuple[float, ...] = (1.0, 2.0, 4.0)
    attempt_timeout: float = 10.0
    # [doc: the provider's Python guide] `{"status": 0, "data": item}`; False sends the bare item.
    envelope: bool = True
    allowed_hosts: frozenset[str] | None = None
    max_response_bytes: int = 64 * 1024
    # A hookUrl at the mock's own host:port (or a loopback alias of it) is refused: it would let
    # a submit drive the control API. True delivers it anyway.
    allow_self: bool = False
    # Each receiver (scheme, host, port) gets at most this many POSTs in flight, and every
    # receiver its own lane, so a host that never answers delays only its own hooks.
    per_receiver_concurrency: int = 2
    # Threads across all lanes; past it, further receivers wait for a free one.
    max_delivery_threads: int = 64


def random_seed() -> int:
    """A seed for a run that was given none: unpredictable, and short enough to retype."""
    return secrets.randbelow(1_000_000_000)


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
    # [decision] A fresh random seed per run unless one is given, so ids differ across restarts
    # (clients store task ids); the banner and /__mock/health show it, and `--seed N` replays.
    seed: int = field(default_factory=lambda: random_seed())
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
    # Host names the control API answers to besides loopback ones and the bound host; "*" means
    # any (see `web.guard`). Not needed once a control token is set.
    control_hosts: frozenset[str] = frozenset()
    # [decision] Model seconds a finished task is kept; then job-status answers as for an
    # unknown id and the control API no longer lists it. None keeps tasks forever.
    task_retention_seconds: float | None = 24 * 3600.0
    # SQLite file keeping accounts, balances, tasks and the hook journal across restarts; None
    # keeps everything in memory. On restart the file's accounts win over `api_keys`.
    state_file: str | None = None
    # Calibration from a live recording (`mj-mock drift DIR --write-config`), each a [decision]
    # where the provider's docs are silent. Fields added to every completed item (a string may
    # hold {jobId}, {taskId} and {image_base_url}); "omit" leaves unknown and foreign ids out of
    # job-status, "report" answers each with a failed item; whether a submit success carries
    # `message`, and an error body `"data": null`.
    extra_item_fields: dict[str, Any] = field(default_factory=dict)
    unknown_ids: str = "omit"
    unknown_id_reason: str = "task not found"
    submit_message: bool = True
    error_data: bool = True
    # Entries the request journal (`GET /__mock/requests`) keeps, newest win; 0 turns it off.
    journal_size: int = 1000
    # Origins allowed to call the API and the CDN from a browser (`--cors`); "*" allows any.
    # Empty: no CORS headers, as the real API has none documented.
    cors_origins: tuple[str, ...] = ()
    # [decision] The HTTP server of server mode: waitress (pure Python, the default) or granian
    # (compiled, the `fast` extra; bench/README.md has both measured).
    server: str = "waitress"

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ConfigError("time_scale must be positive")
        if self.seed < 0:
            raise ConfigError(f"seed must be >= 0, got {self.seed}")
        if self.max_in_progress < 1:
            raise ConfigError("max_in_progress must be at least 1")
        for mode, (low, high) in self.durations.items():
            if not 0 <= low <= high:
                raise ConfigError(f"durations.{mode}: need 0 <= min <= max, got {low}, {high}")
        for key, quota in self.api_keys.items():
            if not key or quota < 0:
                raise ConfigError(f"api key {key!r}: needs a non-empty key and a quota >= 0")
            problem = key_problem(key)
            if problem is not None:
                raise ConfigError(f"api key {key!r}: {problem}")
        if self.task_retention_seconds is not None and self.task_retention_seconds < 0:
            raise ConfigError("task_retention_seconds must be >= 0 (or None to keep tasks)")
        self.control_hosts = frozenset(self.control_hosts)
        if self.journal_size < 0:
            raise ConfigError("journal_size must be >= 0")
        self.cors_origins = tuple(self.cors_origins)
        self.image_base_url = self.image_base_url.rstrip("/")
        if self.unknown_ids not in UNKNOWN_ID_POLICIES:
            raise ConfigError(
                f"unknown_ids must be one of {', '.join(UNKNOWN_ID_POLICIES)}, "
                f"got {self.unknown_ids!r}"
            )
        if self.server not in SERVERS:
            raise ConfigError(f"server must be one of {', '.join(SERVERS)}, got {self.server!r}")
        shadowed = sorted(set(self.extra_item_fields) & DOCUMENTED_ITEM_FIELDS)
        if shadowed:
            raise ConfigError(f"extra_item_fields may not replace documented fields: {shadowed}")

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


def key_problem(key: str) -> str | None:
    """Why `key` could never be sent as an API-KEY header, or None: checked by the
    `control_key_request` schema, the one description of a usable key."""
    import schemas

    problems = schemas.errors("control_key_request", {"key": key, "quota": 0})
    if not problems:
        return None
    return (
        "a key must be printable ASCII without leading or trailing spaces "
        f"(an HTTP header cannot carry it otherwise): {problems[0]}"
    )


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
    if name == "seed":
        return {"seed": random_seed() if value is None else int(value)}
    if name == "control_hosts":
        return {"control_hosts": frozenset(str(v) for v in value)}
    if name == "extra_item_fields":
        return {name: dict(value)}
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
        elif name in ("versions", "niji_versions", "styles"):
            changes[name] = tuple(_table_value(v) for v in item)
        elif name == "extra_parameters":
            changes[name] = frozenset(str(v).lower().lstrip("-") for v in item)
        elif name == "ranges":
            # A table merges into the defaults, so `ranges = { stylize = [0, 2000] }` widens
            # one parameter without restating the others.
            merged = dict(rules.ranges)
            merged.update({str(k): (int(r[0]), int(r[1])) for k, r in item.items()})
            changes[name] = merged
        elif name in {f.name for f in fields(PromptRules)}:
            changes[name] = item
        else:
            raise ConfigError(f"unknown prompt_rules setting {name!r}")
    return replace(rules, **changes)


def _table_value(value: Any) -> str:
    """A version as written: TOML `8.2` and `"8.2"` both mean `--v 8.2`."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError(f"table values must be strings or numbers, got {value!r}")
    return str(value)


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
