"""The mock's control API under `/__mock/` (tag `mock-control`), as `openapi-mock.yaml` lists it.

Each route says what it does, its body and answer schemas and the ways it refuses; the path
itself is `schemas.routes.CONTROL`'s, by name, so the document and the mock's route table cannot
disagree on where a route is.
"""

from __future__ import annotations

import copy
from typing import Any

from schemas.routes import CONTROL, CONTROL_PREFIX

from .components import error_response, json_media, path_parameter

__all__ = ["CONTROL_TAG", "control_paths"]

CONTROL_TAG = "mock-control"

# `limit` and `cursor` of every paginated control listing (tasks, keys, hooks).
_PAGE_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "At most this many entries (1 to 1000); without it, all.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The `nextCursor` of the previous page.",
        "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
    },
]
_BAD_PAGE = {"400": "`limit` or `cursor` is not one this listing accepts."}


# Optional: the control API needs the token only when the mock was started with one.
_MOCK_SECURITY: list[dict[str, list[str]]] = [{"MockToken": []}, {}]


def _control_operation(
    operation_id: str,
    summary: str,
    description: str,
    response: str,
    response_description: str,
    *,
    request: str | None = None,
    request_required: bool = True,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": response_description, "content": json_media(response, {})}
    }
    problems = dict(errors or {})
    if request is not None:
        problems.setdefault(
            "400",
            "Malformed JSON or a body that does not match the schema; `message` names the field.",
        )
        # A body is read as the provider routes read theirs, so it is refused the same ways.
        problems["413"] = "The body is larger than the mock accepts."
        problems["415"] = "The body is not `application/json`."
    problems["401"] = "A control token is configured and `X-Mock-Token` is missing or wrong."
    problems["403"] = (
        "The Host header is not a loopback name, the mock's own host or a configured one (and "
        "no control token is set), or the request comes from another Origin [decision]."
    )
    for status in sorted(problems):
        responses[status] = error_response(f"[mock] {problems[status]}")
    operation: dict[str, Any] = {
        "tags": [CONTROL_TAG],
        "operationId": operation_id,
        "summary": summary,
        "description": f"[mock] {description}",
        "security": copy.deepcopy(_MOCK_SECURITY),
    }
    if request is not None:
        operation["requestBody"] = {
            "required": request_required,
            "content": json_media(request, {}),
        }
    operation["responses"] = responses
    return operation


_TASK_ID_PARAMETER = path_parameter(
    "taskId", "A task id from submit-jobs.", {"$ref": "#/components/schemas/Common_taskId"}
)
_NO_TASK = "No task with this id."
_FINISHED = "The task already finished: a status never moves back."


def control_paths() -> dict[str, Any]:
    """Every control route, each state-changing one also refusing a non-JSON body."""
    paths = _control_routes()
    for item in paths.values():
        for method in ("post", "delete"):
            if method in item:
                # [decision] A state-changing control call takes JSON or nothing (CSRF guard).
                responses = item[method]["responses"]
                responses.setdefault(
                    "415",
                    error_response("[mock] A Content-Type other than `application/json` was sent."),
                )
                item[method]["responses"] = dict(sorted(responses.items()))
    return paths


def _control(name: str) -> str:
    """A control route's path template, as the OpenAPI document lists it."""
    return CONTROL_PREFIX + CONTROL[name]


def _control_routes() -> dict[str, Any]:
    return {
        _control("reset"): {
            "post": _control_operation(
                "mockReset",
                "Forget all state",
                "Forgets every task, hook attempt and fault; restores the configured keys and "
                "balances and reseeds the generators, so the next run repeats the first.",
                "control_reset",
                "Reset done.",
            )
        },
        _control("clock"): {
            "get": _control_operation(
                "mockGetClock",
                "Read the clock",
                "The time tasks are judged by.",
                "control_clock",
                "The clock.",
            )
        },
        _control("advance"): {
            "post": _control_operation(
                "mockAdvanceClock",
                "Move a manual clock forward",
                "Moves a manual clock forward, finishing every task and running every hook retry "
                "that falls due on the way, each at its own time.",
                "control_clock",
                "The clock after the move.",
                request="control_advance_request",
                errors={"409": "The clock is not manual (start the mock with `--clock manual`)."},
            )
        },
        _control("tasks"): {
            "get": {
                **_control_operation(
                    "mockListTasks",
                    "List tasks",
                    "Every task of every key, with what the provider does not show (owner, plan, "
                    "due time); with `limit`, one page and the `nextCursor` of the next. Finished "
                    "tasks are kept `task_retention_seconds` of model time (default 24 h) "
                    "[decision].",
                    "control_tasks",
                    "The tasks, oldest first.",
                    errors=_BAD_PAGE,
                ),
                "parameters": _PAGE_PARAMETERS,
            }
        },
        _control("task"): {
            "parameters": [_TASK_ID_PARAMETER],
            "get": _control_operation(
                "mockGetTask",
                "Inspect one task",
                "One task with its internals.",
                "control_task",
                "The task.",
                errors={"404": _NO_TASK},
            ),
        },
        _control("complete"): {
            "parameters": [_TASK_ID_PARAMETER],
            "post": _control_operation(
                "mockCompleteTask",
                "Complete a task now",
                "Forces an in-progress task to succeed now, whatever was planned. No body.",
                "control_task",
                "The completed task.",
                errors={"409": _FINISHED, "404": _NO_TASK},
            ),
        },
        _control("fail"): {
            "parameters": [_TASK_ID_PARAMETER],
            "post": _control_operation(
                "mockFailTask",
                "Fail a task now",
                "Forces an in-progress task to fail now and refunds its cost (when refunds are "
                "on). The body is optional; without a reason the mock uses its default.",
                "control_task",
                "The failed task.",
                request="control_fail_request",
                request_required=False,
                errors={"409": _FINISHED, "404": _NO_TASK},
            ),
        },
        _control("keys"): {
            "get": {
                **_control_operation(
                    "mockListKeys",
                    "List API keys",
                    "Every key with its quota ledger; with `limit`, one page and the "
                    "`nextCursor` of the next.",
                    "control_keys",
                    "All keys.",
                    errors=_BAD_PAGE,
                ),
                "parameters": _PAGE_PARAMETERS,
            },
            "post": _control_operation(
                "mockSetKey",
                "Create a key or set its quota",
                "Creates an API key, or sets an existing key's remaining quota.",
                "control_key",
                "The key after the change.",
                request="control_key_request",
            ),
        },
        _control("faults"): {
            "get": _control_operation(
                "mockListFaults",
                "List installed faults",
                "Faults in matching order.",
                "control_faults",
                "Installed faults.",
            ),
            "post": _control_operation(
                "mockAddFault",
                "Install a fault",
                "Makes the next matching provider (or CDN) requests fail with a status, answer "
                "late, drop the connection or send a malformed body.",
                "control_fault",
                "The installed fault.",
                request="control_fault_request",
            ),
            "delete": _control_operation(
                "mockClearFaults",
                "Remove every fault",
                "Removes every installed fault.",
                "control_faults",
                "The now empty list.",
            ),
        },
        _control("scenario"): {
            "get": _control_operation(
                "mockGetScenario",
                "The loaded scenario",
                "Which scenario plays, since when, which rule each task since took, and "
                "whether its expected hook deliveries happened.",
                "control_scenario",
                "The scenario's state; name null when none is loaded.",
            ),
            "post": _control_operation(
                "mockLoadScenario",
                "Load a scenario",
                "Plays a shipped scenario (by name) or a scenario document from now on: its "
                "accounts are set, its faults scheduled on the mock's clock and its rules plan "
                "each task submitted after. Replaces the scenario before; a reset restarts it.",
                "control_scenario",
                "The scenario, just started.",
                request="control_scenario_request",
                errors={"404": "No shipped scenario of this name."},
            ),
            "delete": _control_operation(
                "mockUnloadScenario",
                "Stop the scenario",
                "Tasks submitted after are planned by the mock again; faults already installed "
                "stay until cleared.",
                "control_scenario",
                "No scenario loaded.",
            ),
        },
        _control("health"): {
            "get": _control_operation(
                "mockHealth",
                "Is the mock up",
                "Liveness, version, task count and clock kind.",
                "control_health",
                "The mock is up.",
            )
        },
        _control("hooks"): {
            "get": {
                **_control_operation(
                    "mockListHooks",
                    "The hook journal",
                    "Every hookUrl delivery attempt, sent, scheduled or refused; with `limit`, "
                    "one page and the `nextCursor` of the next.",
                    "hook_attempts",
                    "All attempts, oldest first.",
                    errors=_BAD_PAGE,
                ),
                "parameters": _PAGE_PARAMETERS,
            }
        },
        _control("requests"): {
            "get": _control_operation(
                "mockListRequests",
                "The request journal",
                "The API and CDN requests the mock answered, oldest first (a ring buffer of "
                "journal_size entries; control calls are not journaled).",
                "control_requests",
                "The journaled requests.",
            )
        },
        _control("redeliver"): {
            "parameters": [
                path_parameter(
                    "hookId",
                    "An attempt id from the hook journal.",
                    {"type": "string", "minLength": 1},
                )
            ],
            "post": _control_operation(
                "mockRedeliverHook",
                "Send a callback again",
                "POSTs the attempt's payload to its URL again, now, as a new attempt.",
                "hook_attempt",
                "The new attempt.",
                errors={"404": "No hook attempt with this id."},
            ),
        },
    }
