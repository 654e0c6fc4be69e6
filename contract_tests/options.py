"""The suite's settings, from command-line options first, then environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from schemas.recording import Recorder

from . import TARGETS
from .budget import JobBudget
from .observe import Observations

__all__ = [
    "BUDGET_KEY",
    "LIVE_DEFAULT_MAX_JOBS",
    "MOCK_DEFAULT_MAX_JOBS",
    "MOCK_WAIT_SECONDS",
    "OBSERVATIONS_KEY",
    "OPTIONS_KEY",
    "RECORDER_KEY",
    "SuiteOptions",
    "add_options",
    "resolve",
]

DEFAULT_BASE_URL = "https://api.midjourney-api.com"
LIVE_DEFAULT_MAX_JOBS = 2
# A mock's quota costs nothing; the cap only stops a runaway test.
MOCK_DEFAULT_MAX_JOBS = 100_000
DEFAULT_JOB_TIMEOUT = 600.0
DEFAULT_POLL_INTERVAL = 2.0
# On the mocks a wait moves the manual clock, not the wall clock: the longest task timeout
# (1200 s) plus a margin, in the mock's model seconds.
MOCK_WAIT_SECONDS = 1300.0
PROFILES = ("ci", "dev", "thorough")


@dataclass(frozen=True)
class SuiteOptions:
    target: str
    base_url: str
    api_key: str | None
    api_key_2: str | None
    empty_api_key: str | None
    max_jobs: int
    job_timeout: float
    poll_interval: float
    record_dir: Path | None
    hook_listen: tuple[str, int] | None
    hook_url: str | None
    hypothesis_profile: str

    @property
    def live(self) -> bool:
        return self.target == "live"

    def secrets(self) -> tuple[str | None, ...]:
        return (self.api_key, self.api_key_2, self.empty_api_key)


OPTIONS_KEY = pytest.StashKey["SuiteOptions"]()
BUDGET_KEY = pytest.StashKey[JobBudget]()
RECORDER_KEY = pytest.StashKey[Recorder | None]()
OBSERVATIONS_KEY = pytest.StashKey[Observations]()


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("mj-contract", "midjourney-api contract suite (contract_tests)")
    group.addoption(
        "--mj-target",
        choices=TARGETS,
        default=None,
        help="inprocess (default), server, or live: any server at --mj-base-url. Env MJ_TARGET.",
    )
    group.addoption(
        "--mj-base-url",
        default=None,
        help=f"live: the API's base URL (default {DEFAULT_BASE_URL}). Env MJ_BASE_URL.",
    )
    group.addoption(
        "--mj-api-key",
        default=None,
        help="live: the API key; without one every live test is skipped. Env MJ_API_KEY.",
    )
    group.addoption(
        "--mj-api-key-2",
        default=None,
        help="live, optional: a second key, for the foreign-id checks. Env MJ_API_KEY_2.",
    )
    group.addoption(
        "--mj-empty-api-key",
        default=None,
        help="live, optional: a key with no quota left, for the 1001 check. Env MJ_EMPTY_API_KEY.",
    )
    group.addoption(
        "--mj-max-jobs",
        type=int,
        default=None,
        help=f"Submits the whole run may make (live default {LIVE_DEFAULT_MAX_JOBS}; "
        f"mocks {MOCK_DEFAULT_MAX_JOBS}). Env MJ_MAX_JOBS.",
    )
    group.addoption(
        "--mj-job-timeout",
        type=float,
        default=None,
        help=f"live: seconds to wait for one job (default {DEFAULT_JOB_TIMEOUT:g}). "
        "Env MJ_JOB_TIMEOUT.",
    )
    group.addoption(
        "--mj-poll-interval",
        type=float,
        default=None,
        help=f"live: first pause between job-status polls, seconds (default "
        f"{DEFAULT_POLL_INTERVAL:g}). Env MJ_POLL_INTERVAL.",
    )
    group.addoption(
        "--mj-record",
        default=None,
        metavar="DIR",
        help="Save every response (keys scrubbed) as JSON in DIR, for `mj-mock drift DIR`. "
        "Env MJ_RECORD.",
    )
    group.addoption(
        "--mj-hook-listen",
        default=None,
        metavar="HOST:PORT",
        help="live: start a hookUrl receiver here (port 0 picks one). Env MJ_HOOK_LISTEN.",
    )
    group.addoption(
        "--mj-hook-url",
        default=None,
        help="live: the public URL that reaches that receiver (a tunnel), if not its own. "
        "Env MJ_HOOK_URL.",
    )
    group.addoption(
        "--mj-hypothesis-profile",
        choices=PROFILES,
        default=None,
        help="Hypothesis example counts: ci (default, fast, deterministic), dev, thorough. "
        "Env MJ_HYPOTHESIS_PROFILE.",
    )


def _pick(config: pytest.Config, option: str, *env_names: str) -> str | None:
    value = config.getoption(option)
    if value is not None:
        return str(value)
    for name in env_names:
        text = os.environ.get(name, "").strip()
        if text:
            return text
    return None


def _number(text: str | None, what: str, default: float) -> float:
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise pytest.UsageError(f"{what} must be a number, got {text!r}") from None
    if not value > 0:
        raise pytest.UsageError(f"{what} must be positive, got {text!r}")
    return value


def _listen(text: str | None) -> tuple[str, int] | None:
    if text is None:
        return None
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise pytest.UsageError(f"--mj-hook-listen must be HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def resolve(config: pytest.Config) -> SuiteOptions:
    target = _pick(config, "mj_target", "MJ_TARGET") or "inprocess"
    if target not in TARGETS:
        raise pytest.UsageError(f"MJ_TARGET must be one of {', '.join(TARGETS)}, got {target!r}")
    live = target == "live"
    jobs_text = _pick(config, "mj_max_jobs", "MJ_MAX_JOBS")
    if jobs_text is None:
        max_jobs = LIVE_DEFAULT_MAX_JOBS if live else MOCK_DEFAULT_MAX_JOBS
    else:
        try:
            max_jobs = int(jobs_text)
        except ValueError:
            raise pytest.UsageError(
                f"--mj-max-jobs must be an integer, got {jobs_text!r}"
            ) from None
        if max_jobs < 0:
            raise pytest.UsageError("--mj-max-jobs cannot be negative")
    record = _pick(config, "mj_record", "MJ_RECORD")
    profile = _pick(config, "mj_hypothesis_profile", "MJ_HYPOTHESIS_PROFILE") or "ci"
    if profile not in PROFILES:
        raise pytest.UsageError(f"unknown Hypothesis profile {profile!r}: {', '.join(PROFILES)}")
    base_url = _pick(config, "mj_base_url", "MJ_BASE_URL") or DEFAULT_BASE_URL
    return SuiteOptions(
        target=target,
        base_url=base_url.rstrip("/"),
        # The provider's own example scripts read MIDJOURNEY_API_KEY; the client reads both.
        api_key=_pick(config, "mj_api_key", "MJ_API_KEY", "MIDJOURNEY_API_KEY"),
        api_key_2=_pick(config, "mj_api_key_2", "MJ_API_KEY_2"),
        empty_api_key=_pick(config, "mj_empty_api_key", "MJ_EMPTY_API_KEY"),
        max_jobs=max_jobs,
        job_timeout=_number(
            _pick(config, "mj_job_timeout", "MJ_JOB_TIMEOUT"),
            "--mj-job-timeout",
            DEFAULT_JOB_TIMEOUT,
        ),
        poll_interval=_number(
            _pick(config, "mj_poll_interval", "MJ_POLL_INTERVAL"),
            "--mj-poll-interval",
            DEFAULT_POLL_INTERVAL,
        ),
        record_dir=Path(record) if record else None,
        hook_listen=_listen(_pick(config, "mj_hook_listen", "MJ_HOOK_LISTEN")),
        hook_url=_pick(config, "mj_hook_url", "MJ_HOOK_URL"),
        hypothesis_profile=profile,
    )
