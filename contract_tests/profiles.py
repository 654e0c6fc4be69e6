"""Hypothesis settings for the suite, applied per test so they never leak into other suites.

`ci` (the default) is small and derandomized, with no example database: the three targets
finish in CI in seconds and a run is reproducible. `dev` and `thorough` explore more; pick one
with `--mj-hypothesis-profile` or `MJ_HYPOTHESIS_PROFILE`. Live runs are scaled down further:
every example there is a real HTTP round trip to the provider.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings

__all__ = ["current", "select", "suite_settings"]

_BASE: dict[str, Any] = {
    "deadline": None,
    # The suite's fixtures hold a target, not per-example state: each property resets what it
    # needs itself (see the tests), so function-scoped fixtures are intended here.
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
_PROFILES: dict[str, dict[str, Any]] = {
    "ci": {"max_examples": 12, "derandomize": True, "database": None},
    "dev": {"max_examples": 50},
    "thorough": {"max_examples": 300},
}
_STATEFUL_STEPS = {"ci": 25, "dev": 50, "thorough": 100}
_state = {"profile": "ci", "live": False}


def select(profile: str, *, live: bool) -> None:
    if profile not in _PROFILES:
        raise ValueError(f"unknown profile {profile!r}")
    _state["profile"] = profile
    _state["live"] = live


def current() -> str:
    return str(_state["profile"])


def suite_settings(scale: float = 1.0, **overrides: Any) -> settings:
    """The current profile's settings, `max_examples` times `scale` (halved on live)."""
    profile = current()
    values = {**_BASE, **_PROFILES[profile]}
    factor = scale * (0.5 if _state["live"] else 1.0)
    values["max_examples"] = max(1, round(values["max_examples"] * factor))
    values["stateful_step_count"] = _STATEFUL_STEPS[profile]
    values.update(overrides)
    return settings(**values)
