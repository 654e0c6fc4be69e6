"""midjourney-api-mock: an offline fake of the midjourney-api.com image API.

The public surface is small on purpose: build a `Config`, then serve it (`serve(config)`: the
server the config names, waitress's `MockServer` unless it says granian), intercept it
in-process (`mock_midjourney`), assemble it yourself (`build_mock`, the one composition root
every mode uses; `create_app` for the bare WSGI app), or drive the backend directly in tests.
The package map is in README.md ("Architecture").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mock_server import provenance

# Before anything imports `schemas`: a clash fails here, by name, not later as an AttributeError.
provenance.check("schemas")
provenance.check("fixtures", shadowing_ok=True)

from mock_server.compose import build_mock, create_app  # noqa: E402
from mock_server.config import DEFAULT_BASE_URL, DEV_API_KEY, Config, HookPolicy  # noqa: E402
from mock_server.domain.clock import Clock, ManualClock, RealClock  # noqa: E402
from mock_server.domain.lifecycle import MidjourneyBackend, SubmitRequest  # noqa: E402
from mock_server.domain.prompt_tables import PromptRules  # noqa: E402
from mock_server.errors import ApiError  # noqa: E402
from mock_server.modes.server import MockServer  # noqa: E402
from mock_server.modes.servers import serve  # noqa: E402
from mock_server.records import Task, TaskStatus  # noqa: E402

if TYPE_CHECKING:
    from mock_server.modes.inprocess import mock_midjourney
    from mock_server.testing.controller import ControlError, MockController


def __getattr__(name: str) -> object:
    # The in-process mode imports `responses`; load it only when asked, to keep start-up fast.
    if name in ("mock_midjourney", "MockController", "ControlError"):
        from mock_server.modes import inprocess
        from mock_server.testing import controller

        return getattr(inprocess if name == "mock_midjourney" else controller, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_BASE_URL",
    "DEV_API_KEY",
    "ApiError",
    "Clock",
    "Config",
    "ControlError",
    "HookPolicy",
    "ManualClock",
    "MidjourneyBackend",
    "MockController",
    "MockServer",
    "PromptRules",
    "RealClock",
    "SubmitRequest",
    "Task",
    "TaskStatus",
    "build_mock",
    "create_app",
    "mock_midjourney",
    "serve",
]
