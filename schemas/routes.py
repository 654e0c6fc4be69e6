"""Every HTTP path of the API and of the mock, written once.

The provider's two endpoints are part of the contract, like the shapes beside this file, so they
live here rather than in the mock: the mock's route table, the reference client, the contract suite,
the proxy and the OpenAPI generator all read them from this module. Templates use OpenAPI's
``{name}`` form; `flask_rule` turns one into the form Flask's router wants, and `fill` into a URL
path for a request. A test checks that both OpenAPI documents list exactly these paths.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "CDN_IMAGE",
    "CDN_PREFIX",
    "CONTROL",
    "CONTROL_PREFIX",
    "DASHBOARD_PREFIX",
    "ENDPOINT_NAMES",
    "JOB_STATUS",
    "PROVIDER_PREFIX",
    "PROXY_HOOK",
    "PROXY_PREFIX",
    "PROXY_STATS",
    "SUBMIT_JOBS",
    "control_path",
    "fill",
    "flask_rule",
    "mock_paths",
]

PROVIDER_PREFIX: Final = "/midjourney/v1"
SUBMIT_JOBS: Final = PROVIDER_PREFIX + "/submit-jobs"
JOB_STATUS: Final = PROVIDER_PREFIX + "/job-status"

#: The short names the fault injector, the journal and recordings use for each provider endpoint.
ENDPOINT_NAMES: Final = {SUBMIT_JOBS: "submit-jobs", JOB_STATUS: "job-status"}

CONTROL_PREFIX: Final = "/__mock"
CDN_PREFIX: Final = "/cdn"
CDN_IMAGE: Final = CDN_PREFIX + "/{jobId}/{image}"
DASHBOARD_PREFIX: Final = "/ui"

#: The control API, by name: each path below `CONTROL_PREFIX`.
CONTROL: Final = {
    "health": "/health",
    "reset": "/reset",
    "clock": "/clock",
    "advance": "/clock/advance",
    "tasks": "/tasks",
    "task": "/tasks/{taskId}",
    "complete": "/tasks/{taskId}/complete",
    "fail": "/tasks/{taskId}/fail",
    "keys": "/keys",
    "hooks": "/hooks",
    "redeliver": "/hooks/{hookId}/redeliver",
    "requests": "/requests",
    "faults": "/faults",
    "scenario": "/scenario",
}

#: `mj-mock proxy`'s own routes (contract_tests/proxy.py): the hookUrl it substitutes, which
#: forwards the provider's callback to the original URL, and its counters. Not the mock's, so in
#: no OpenAPI document.
PROXY_PREFIX: Final = "/__proxy"
PROXY_HOOK: Final = PROXY_PREFIX + "/hooks/{token}"
PROXY_STATS: Final = PROXY_PREFIX + "/stats"

_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def control_path(name: str, **parameters: str) -> str:
    """The full path of one control route, with its parameters filled in."""
    return fill(CONTROL_PREFIX + CONTROL[name], **parameters)


def fill(template: str, **parameters: str) -> str:
    """A template's path with each ``{name}`` replaced by its value, percent-encoded."""
    from urllib.parse import quote

    return _PARAMETER.sub(lambda match: quote(parameters[match.group(1)], safe=""), template)


def flask_rule(template: str) -> str:
    """The Flask/Werkzeug rule for a template: ``{taskId}`` becomes ``<taskId>``."""
    return _PARAMETER.sub(r"<\1>", template)


def mock_paths() -> list[str]:
    """Every path the mock's OpenAPI document must describe, in OpenAPI form."""
    control = [CONTROL_PREFIX + path for path in CONTROL.values()]
    return [SUBMIT_JOBS, JOB_STATUS, *control, CDN_IMAGE]
