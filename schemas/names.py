"""Which schemas exist, by what they describe, and the layers and documents built from them.

A plain catalogue with no imports, so the loader, the validators, the mock and the OpenAPI
generator all agree on one list: adding a schema file means adding its name here.
"""

from __future__ import annotations

__all__ = [
    "CONSUMER_SCHEMA_NAMES",
    "CONTROL_SCHEMA_NAMES",
    "LAYERS",
    "OPENAPI_FILES",
    "PROVIDER_SCHEMA_NAMES",
    "SCHEMA_NAMES",
    "TOOL_SCHEMA_NAMES",
]

# The shapes of midjourney-api.com itself: the only ones in the provider's OpenAPI document.
PROVIDER_SCHEMA_NAMES: tuple[str, ...] = (
    "common",
    "error",
    "submit_request",
    "submit_response",
    "job_status_request",
    "job_status_response",
    "task",
    "hook_payload",
)
# The mock's own control API under /__mock/ (and its hook journal): no such route exists on the
# real service, so these appear only in openapi-mock.yaml.
CONTROL_SCHEMA_NAMES: tuple[str, ...] = (
    "control_advance_request",
    "control_fail_request",
    "control_key_request",
    "control_fault_request",
    "control_fault",
    "control_faults",
    "control_clock",
    "control_key",
    "control_keys",
    "control_task",
    "control_tasks",
    "control_health",
    "control_reset",
    "hook_attempt",
    "hook_attempts",
    "control_requests",
    "scenario",
    "control_scenario_request",
    "control_scenario",
)
# The mock's config file (`mj-mock serve --config`): not an HTTP shape, so in no OpenAPI document.
TOOL_SCHEMA_NAMES: tuple[str, ...] = ("mock_config",)
SCHEMA_NAMES: tuple[str, ...] = PROVIDER_SCHEMA_NAMES + CONTROL_SCHEMA_NAMES + TOOL_SCHEMA_NAMES

# Two layers for the provider's answers. "strict" (the files above) is the mock's exact output:
# no field it does not send, used on the mock and to name new fields in the drift report.
# "consumer" (schemas/consumer/) is what a client may rely on: the documented fields and types,
# extra fields allowed, optional where the docs do not always show a field. The client's
# `validate=True` and the contract suite on live use it; the real service is held to nothing more.
LAYERS: tuple[str, ...] = ("strict", "consumer")
CONSUMER_SCHEMA_NAMES: tuple[str, ...] = (
    "error",
    "submit_response",
    "job_status_response",
    "task",
    "hook_payload",
)

# The committed OpenAPI documents: the provider's API exactly, and that API plus the mock's own.
OPENAPI_FILES: dict[str, str] = {"provider": "openapi.yaml", "mock": "openapi-mock.yaml"}
