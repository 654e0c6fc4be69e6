"""The schemas of the mock's own control API (``/__mock/``) and its hook journal.

The control API validates its requests with ``schemas.errors`` and returns the messages as a 400
``message``, so the near misses below check the exact field each message names. The response
schemas are strict, so the valid examples double as the reference for what the control API emits.
These schemas are the mock's, not the provider's: they must stay out of ``openapi.yaml``.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

import fixtures
import schemas
from tools.openapi.components import component_name

DOC_URI = "urn:midjourney-api-mock:openapi-mock"
JOB_ID = "0d6c1b8e-6f4e-4a57-9d1c-0b3a3c6f2e11"
CREATED = 1_766_916_846_000


def _items() -> dict[int, dict[str, Any]]:
    data = fixtures.load("quickstart/job_status_response.json")["data"]
    return {int(item["status"]): item for item in data}


# --- requests -------------------------------------------------------------------------------

VALID_REQUESTS: dict[str, list[Any]] = {
    "control_advance_request": [
        {"seconds": 0},
        {"seconds": 0.5},
        {"seconds": 45},
        {"seconds": 31_536_000},
    ],
    "control_fail_request": [
        {},
        {"reason": "Invalid User ID or Personalize Code: ``123123``"},
        {"reason": "x" * 1000},
    ],
    "control_key_request": [
        {"key": "trial", "quota": 10},
        {"key": "k", "quota": 0},
        {"key": "spaced key", "quota": 10**12},
        {"key": "x" * 256, "quota": 130},
    ],
    "control_fault_request": [
        {"kind": "status", "status": 503},
        {"kind": "status", "status": 429, "count": 3, "endpoint": "submit-jobs"},
        {"kind": "status", "status": 500, "probability": 0.25, "endpoint": "job-status"},
        {"kind": "latency", "latency": 2.5},
        {"kind": "latency", "latency": 0, "endpoint": "cdn"},
        {"kind": "latency", "latency": 60, "probability": 1},
        {"kind": "drop"},
        {"kind": "drop", "count": 1, "endpoint": "*"},
        {"kind": "malformed", "probability": 0.001},
    ],
    "scenario": [
        {"name": "minimal"},
        {
            "name": "flaky",
            "description": "d",
            "accounts": [{"key": "k", "quota": 4}],
            "tasks": [
                {"order": 1, "key": "k", "outcome": "failed", "after": 40, "reason": "R"},
                {"prompt": "slow", "outcome": "timeout"},
                {"outcome": "completed", "after": 0},
            ],
            "faults": [{"at": 30, "fault": {"kind": "status", "status": 503, "count": 2}}],
            "receiver": {"answers": [503]},
            "expect": {"hooks": [{"order": 1, "statuses": [503, None, 200]}]},
        },
    ],
    "control_scenario_request": [
        {"name": "quota-exhaustion"},
        {"scenario": {"name": "mine", "tasks": [{"order": 3, "outcome": "timeout"}]}},
    ],
}


def valid_requests() -> list[tuple[str, Any]]:
    return [(name, body) for name, bodies in VALID_REQUESTS.items() for body in bodies]


# (id, schema, body, the message errors() must include)
KEY_PROBLEM = (
    "key: must be printable ASCII (no control or non-ASCII characters) without leading or "
    "trailing spaces"
)
BROKEN_REQUESTS: list[tuple[str, str, Any, str]] = [
    (
        "scenario timeout after",
        "scenario",
        {"name": "a", "tasks": [{"outcome": "timeout", "after": 3}]},
        "tasks[0].after: a timeout happens at the task's timeout",
    ),
    (
        "scenario fault kind",
        "scenario",
        {"name": "a", "faults": [{"at": 1, "fault": {"kind": "status"}}]},
        "faults[0].fault.status: is required",
    ),
    (
        "scenario both",
        "control_scenario_request",
        {"name": "a", "scenario": {"name": "a"}},
        "(body): give exactly one of name and scenario",
    ),
    (
        "scenario bad rule",
        "control_scenario_request",
        {"scenario": {"name": "a", "tasks": [{"outcome": "completed", "after": 1, "reason": "R"}]}},
        "scenario.tasks[0].reason: only applies to outcome 'failed'",
    ),
    ("seconds missing", "control_advance_request", {}, "seconds: is required"),
    (
        "seconds negative",
        "control_advance_request",
        {"seconds": -1},
        "seconds: -1 is less than the minimum of 0",
    ),
    (
        "seconds over a year",
        "control_advance_request",
        {"seconds": 31_536_001},
        "seconds: 31536001 is greater than the maximum of 31536000",
    ),
    (
        "seconds string",
        "control_advance_request",
        {"seconds": "5"},
        "seconds: '5' is not of type 'number'",
    ),
    (
        "seconds bool",
        "control_advance_request",
        {"seconds": True},
        "seconds: True is not of type 'number'",
    ),
    (
        "advance extra",
        "control_advance_request",
        {"seconds": 1, "minutes": 1},
        "minutes: is not an allowed field",
    ),
    ("reason empty", "control_fail_request", {"reason": ""}, "reason: must not be empty"),
    (
        "reason too long",
        "control_fail_request",
        {"reason": "x" * 1001},
        "reason: must be at most 1000 characters long (is 1001)",
    ),
    (
        "reason null",
        "control_fail_request",
        {"reason": None},
        "reason: None is not of type 'string'",
    ),
    ("fail extra", "control_fail_request", {"status": 2}, "status: is not an allowed field"),
    ("key missing", "control_key_request", {"quota": 10}, "key: is required"),
    ("quota missing", "control_key_request", {"key": "k"}, "quota: is required"),
    (
        "quota negative",
        "control_key_request",
        {"key": "k", "quota": -1},
        "quota: -1 is less than the minimum of 0",
    ),
    (
        "quota huge",
        "control_key_request",
        {"key": "k", "quota": 10**12 + 1},
        "quota: 1000000000001 is greater than the maximum of 1000000000000",
    ),
    (
        "quota float",
        "control_key_request",
        {"key": "k", "quota": 1.5},
        "quota: 1.5 is not of type 'integer'",
    ),
    ("key empty", "control_key_request", {"key": "", "quota": 1}, "key: must not be empty"),
    (
        "key blank",
        "control_key_request",
        {"key": " \t", "quota": 1},
        KEY_PROBLEM,
    ),
    (
        "key outer spaces",
        "control_key_request",
        {"key": " trial ", "quota": 1},
        KEY_PROBLEM,
    ),
    (
        "key non-ascii",
        "control_key_request",
        {"key": "cl\u00e9", "quota": 1},
        KEY_PROBLEM,
    ),
    (
        "key too long",
        "control_key_request",
        {"key": "x" * 257, "quota": 1},
        "key: must be at most 256 characters long (is 257)",
    ),
    (
        "key extra",
        "control_key_request",
        {"key": "k", "quota": 1, "balance": 1},
        "balance: is not an allowed field",
    ),
    ("kind missing", "control_fault_request", {"status": 500}, "kind: is required"),
    (
        "kind unknown",
        "control_fault_request",
        {"kind": "timeout"},
        "kind: 'timeout' is not one of ['drop', 'drop-after', 'latency', 'malformed', 'status']",
    ),
    ("status without status", "control_fault_request", {"kind": "status"}, "status: is required"),
    (
        "latency without latency",
        "control_fault_request",
        {"kind": "latency"},
        "latency: is required",
    ),
    (
        "status 404",
        "control_fault_request",
        {"kind": "status", "status": 404},
        "status: 404 is not one of [429, 500, 502, 503]",
    ),
    (
        "status as string",
        "control_fault_request",
        {"kind": "status", "status": "503"},
        "status: '503' is not one of [429, 500, 502, 503]",
    ),
    (
        "status on a drop",
        "control_fault_request",
        {"kind": "drop", "status": 500},
        "status: only applies to kind 'status'",
    ),
    (
        "latency on a status",
        "control_fault_request",
        {"kind": "status", "status": 500, "latency": 1},
        "latency: only applies to kind 'latency'",
    ),
    (
        "latency over a minute",
        "control_fault_request",
        {"kind": "latency", "latency": 61},
        "latency: 61 is greater than the maximum of 60",
    ),
    (
        "latency negative",
        "control_fault_request",
        {"kind": "latency", "latency": -0.1},
        "latency: -0.1 is less than the minimum of 0",
    ),
    (
        "count with probability",
        "control_fault_request",
        {"kind": "drop", "count": 2, "probability": 0.5},
        "probability: cannot be combined with count",
    ),
    (
        "count zero",
        "control_fault_request",
        {"kind": "drop", "count": 0},
        "count: 0 is less than the minimum of 1",
    ),
    (
        "count float",
        "control_fault_request",
        {"kind": "drop", "count": 1.5},
        "count: 1.5 is not of type 'integer'",
    ),
    (
        "probability zero",
        "control_fault_request",
        {"kind": "drop", "probability": 0},
        "probability: must be greater than 0",
    ),
    (
        "probability above one",
        "control_fault_request",
        {"kind": "drop", "probability": 1.5},
        "probability: 1.5 is greater than the maximum of 1",
    ),
    (
        "endpoint unknown",
        "control_fault_request",
        {"kind": "drop", "endpoint": "upscale"},
        "endpoint: 'upscale' is not one of ['*', 'cdn', 'job-status', 'submit-jobs']",
    ),
    (
        "fault extra",
        "control_fault_request",
        {"kind": "drop", "times": 2},
        "times: is not an allowed field",
    ),
]


def broken_requests() -> list[tuple[str, Any, str]]:
    return [case[1:] for case in BROKEN_REQUESTS]


@pytest.mark.parametrize(("name", "body"), valid_requests())
def test_valid_request_passes(name: str, body: Any) -> None:
    assert schemas.errors(name, body) == []
    schemas.validate(name, body)


@pytest.mark.parametrize(
    ("name", "body", "expected"), broken_requests(), ids=[case[0] for case in BROKEN_REQUESTS]
)
def test_broken_request_is_rejected_naming_the_field(name: str, body: Any, expected: str) -> None:
    messages = schemas.errors(name, body)
    assert expected in messages, messages
    field = expected.partition(":")[0]
    assert all(message.startswith(f"{field}: ") for message in messages), messages
    with pytest.raises(schemas.SchemaViolation) as caught:
        schemas.validate(name, body)
    assert caught.value.messages == messages


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"kind": "status"}, ["status: is required"]),
        ({"kind": "latency"}, ["latency: is required"]),
        ({}, ["kind: is required"]),
        # No kind: only that is reported, not the conditional fields.
        ({"status": 500, "latency": 1}, ["kind: is required"]),
        (
            {"kind": "drop", "status": 500, "latency": 1},
            ["latency: only applies to kind 'latency'", "status: only applies to kind 'status'"],
        ),
        (
            {"kind": "status", "status": 502, "count": 1, "probability": 1},
            ["probability: cannot be combined with count"],
        ),
        (
            {"kind": "status", "count": 0, "endpoint": "x", "extra": 1},
            [
                "count: 0 is less than the minimum of 1",
                "endpoint: 'x' is not one of ['*', 'cdn', 'job-status', 'submit-jobs']",
                "extra: is not an allowed field",
                "status: is required",
            ],
        ),
    ],
)
def test_fault_request_messages_are_exact(body: dict[str, Any], expected: list[str]) -> None:
    assert schemas.errors("control_fault_request", body) == expected


@pytest.mark.parametrize("name", [name for name in VALID_REQUESTS])
@pytest.mark.parametrize("body", [None, [], "seconds", 5])
def test_a_request_body_must_be_an_object(name: str, body: Any) -> None:
    # An absent fail body is the control API's business (it means {}), not the schema's.
    assert schemas.errors(name, body) == ["(body): must be a JSON object"]


def test_huge_values_are_not_echoed_back() -> None:
    huge = "x" * 1_000_000
    for name, body in [
        ("control_key_request", {"key": huge, "quota": huge}),
        ("control_fail_request", {"reason": huge}),
        ("control_fault_request", {"kind": huge, huge: 1}),
    ]:
        messages = schemas.errors(name, body)
        assert messages and all(len(message) <= 200 for message in messages), messages


# --- responses ------------------------------------------------------------------------------


def _task(status: int, /, **changes: Any) -> dict[str, Any]:
    item = _items()[status]
    task: dict[str, Any] = {
        "taskId": item["taskId"],
        "apiKey": "mj-mock-dev-key",
        "status": status,
        "mode": "fast",
        "prompt": "a dog play with a boy --niji 6 --ar 9:16",
        "mjPrompt": "a dog play with a boy --niji 6 --ar 9:16",
        "hookUrl": None,
        "timeout": 600,
        "cost": 2,
        "createdAt": CREATED,
        "dueAt": CREATED + 41_000,
        "finishedAt": None if status == 0 else CREATED + 41_000,
        "plannedStatus": 2 if status == 2 else 1,
        "failReason": item.get("failReason"),
        "jobId": item.get("jobId", JOB_ID),
        "width": 816,
        "height": 1456,
        "refunded": status == 2,
        "item": item,
    }
    task.update(changes)
    return task


def _fault(**changes: Any) -> dict[str, Any]:
    fault: dict[str, Any] = {
        "id": "fault-1",
        "kind": "status",
        "status": 503,
        "remaining": 1,
        "probability": None,
        "endpoint": "*",
        "hits": 0,
    }
    fault.update(changes)
    return {key: value for key, value in fault.items() if value is not ...}


def _attempt(**changes: Any) -> dict[str, Any]:
    attempt: dict[str, Any] = {
        "id": "hook-1",
        "taskId": _items()[1]["taskId"],
        "url": "http://127.0.0.1:9000/hook",
        "attempt": 1,
        "payload": _items()[1],
        "scheduledAt": CREATED + 41_000,
        "sentAt": CREATED + 41_000,
        "responseStatus": 200,
        "error": None,
        "durationMs": 3.2,
        "outcome": "delivered",
    }
    attempt.update(changes)
    return attempt


KEY = {"key": "trial", "quota": 6, "charged": 4, "refunded": 0, "inProgress": 2}
CLOCK = {"now": 1_766_916_846.5, "nowMillis": 1_766_916_846_500, "manual": True, "timeScale": 1}

JOURNALED: dict[str, Any] = {
    "id": 1,
    "at": 1_766_900_000_000,
    "method": "POST",
    "path": "/midjourney/v1/submit-jobs",
    "endpoint": "submit-jobs",
    "keyFingerprint": "sha256:0123456789ab",
    "body": {"prompt": "x"},
    "status": 200,
    "dropped": False,
    "answer": {"status": 0, "message": "success", "data": {"taskId": "t"}},
}

VALID_RESPONSES: dict[str, list[Any]] = {
    "control_scenario": [
        {"name": None, "startedAt": None, "tasks": [], "expectations": []},
        {
            "name": "receiver-fails-once",
            "startedAt": 1_700_000_000_000,
            "tasks": [
                {"order": 1, "taskId": "t", "rule": 0},
                {"order": 2, "taskId": "u", "rule": None},
            ],
            "expectations": [{"order": 1, "expected": [503, 200], "actual": [503], "met": False}],
        },
    ],
    "control_reset": [{"reset": True}],
    "control_clock": [CLOCK, {**CLOCK, "manual": False, "timeScale": 25.0, "now": 1.0}],
    "control_key": [KEY, {**KEY, "quota": 0, "inProgress": 0}],
    "control_keys": [{"keys": []}, {"keys": [KEY, {**KEY, "key": "other"}]}],
    "control_fault": [
        _fault(),
        _fault(kind="latency", status=..., latency=2.5, remaining=3, hits=1),
        _fault(kind="drop", status=..., remaining=None, probability=0.5, endpoint="cdn"),
        _fault(kind="malformed", status=..., remaining=0, endpoint="submit-jobs", hits=2),
    ],
    "control_faults": [{"faults": []}, {"faults": [_fault(), _fault(id="fault-2", status=429)]}],
    "control_task": [
        _task(0),
        _task(1),
        _task(2),
        _task(0, failReason=None, plannedStatus=2, hookUrl="<string>", mode="relaxed"),
        _task(1, item={**_items()[1], "status": "1"}),  # the --status-as-string item
        _task(2, failReason="Task failed", plannedStatus=1, refunded=False),
    ],
    "control_tasks": [{"tasks": []}, {"tasks": [_task(0), _task(1), _task(2)]}],
    "control_health": [
        {"status": "ok", "version": "0.1.0", "tasks": 0, "clock": "real", "seed": 0},
        {"status": "ok", "version": "0.1.0", "tasks": 12, "clock": "manual", "seed": 918273645},
    ],
    "hook_attempt": [
        _attempt(),
        _attempt(
            attempt=2,
            sentAt=None,
            responseStatus=None,
            durationMs=None,
            outcome="pending",
            payload={"status": 0, "message": "success", "data": _items()[2]},
        ),
        _attempt(responseStatus=500, outcome="retrying"),
        _attempt(responseStatus=None, error="connection refused", outcome="failed"),
        _attempt(url="ftp://x", sentAt=None, responseStatus=None, outcome="refused", error="x"),
    ],
    "hook_attempts": [{"hooks": []}, {"hooks": [_attempt(), _attempt(id="hook-2", attempt=2)]}],
    "control_requests": [{"requests": []}, {"requests": [JOURNALED]}],
}

BROKEN_RESPONSES: list[tuple[str, str, Any, str]] = [
    (
        "scenario rule index",
        "control_scenario",
        {
            "name": "a",
            "startedAt": 1,
            "tasks": [{"order": 1, "taskId": "t", "rule": -1}],
            "expectations": [],
        },
        "tasks[0].rule:",
    ),
    (
        "journal raw key",
        "control_requests",
        {"requests": [{**JOURNALED, "keyFingerprint": "mj-test-key"}]},
        "requests[0].keyFingerprint: ",
    ),
    ("reset false", "control_reset", {"reset": False}, "reset: False is not True"),
    ("clock extra", "control_clock", {**CLOCK, "tz": "UTC"}, "tz: is not an allowed field"),
    ("clock scale 0", "control_clock", {**CLOCK, "timeScale": 0}, "timeScale: "),
    ("clock millis float", "control_clock", {**CLOCK, "nowMillis": 1.5}, "nowMillis: "),
    ("key no inProgress", "control_key", {**KEY, "inProgress": ...}, "inProgress: is required"),
    ("key negative", "control_key", {**KEY, "charged": -2}, "charged: -2 is less than"),
    ("keys item", "control_keys", {"keys": [{**KEY, "balance": 1}]}, "keys[0].balance: is not"),
    ("fault no hits", "control_fault", _fault(hits=...), "hits: is required"),
    ("fault status missing", "control_fault", _fault(status=...), "status: is required"),
    ("fault latency on drop", "control_fault", _fault(kind="drop", latency=1), "latency: only"),
    ("fault both", "control_fault", _fault(probability=0.5), "remaining: 1 is not of type 'null'"),
    (
        "fault neither",
        "control_fault",
        _fault(remaining=None),
        "remaining: None is not of type 'integer'",
    ),
    ("fault endpoint", "control_fault", _fault(endpoint="all"), "endpoint: 'all' is not one of"),
    ("faults item", "control_faults", {"faults": [_fault(id="")]}, "faults[0].id: must not be"),
    ("task status str", "control_task", _task(1, status="1"), "status: '1' is not of type"),
    ("task status 3", "control_task", _task(1, status=3), "status: 3 is not one of [0, 1, 2]"),
    ("task planned 0", "control_task", _task(0, plannedStatus=0), "plannedStatus: 0 is not one of"),
    ("task no item", "control_task", _task(1, item=...), "item: is required"),
    ("task extra", "control_task", _task(1, seq=3), "seq: is not an allowed field"),
    ("task item broken", "control_task", _task(1, item={"status": 1}), "item.taskId: is required"),
    (
        "task item of another status",
        "control_task",
        _task(1, item=_items()[0]),
        "item.status: 0 is not one of [1, '1']",
    ),
    ("task created secs", "control_task", _task(1, createdAt=1.5), "createdAt: 1.5 is not of"),
    ("task unfinished", "control_task", _task(1, finishedAt=None), "finishedAt: None is not of"),
    ("task finished early", "control_task", _task(0, finishedAt=CREATED), "finishedAt: "),
    ("failed no reason", "control_task", _task(2, failReason=None), "failReason: None is not of"),
    ("done with reason", "control_task", _task(1, failReason="x"), "failReason: 'x' is not of"),
    ("task mode", "control_task", _task(0, mode="turbo"), "mode: 'turbo' is not one of"),
    ("tasks item", "control_tasks", {"tasks": [_task(0, cost=-1)]}, "tasks[0].cost: -1 is less"),
    (
        "health status",
        "control_health",
        {"status": "up", "version": "1", "tasks": 0, "clock": "real", "seed": 1},
        "status: 'up' is not 'ok'",
    ),
    (
        "health clock",
        "control_health",
        {"status": "ok", "version": "1", "tasks": 0, "clock": "x", "seed": 1},
        "clock: 'x' is not one of",
    ),
    (
        "health without seed",
        "control_health",
        {"status": "ok", "version": "1", "tasks": 0, "clock": "real"},
        "seed: is required",
    ),
    (
        "health negative seed",
        "control_health",
        {"status": "ok", "version": "1", "tasks": 0, "clock": "real", "seed": -1},
        "seed: -1 is less than the minimum of 0",
    ),
    ("attempt 0", "hook_attempt", _attempt(attempt=0), "attempt: 0 is less than the minimum of 1"),
    ("attempt outcome", "hook_attempt", _attempt(outcome="ok"), "outcome: 'ok' is not one of"),
    ("attempt http 42", "hook_attempt", _attempt(responseStatus=42), "responseStatus: 42 is less"),
    ("attempt sent -1", "hook_attempt", _attempt(sentAt=-1), "sentAt: -1 is less than"),
    ("attempt sent str", "hook_attempt", _attempt(sentAt="now"), "sentAt: 'now' is not of type"),
    (
        "attempt payload in progress",
        "hook_attempt",
        _attempt(payload=_items()[0]),
        "payload.",  # status 0 reads as an envelope: the loader names what the envelope lacks
    ),
    ("attempts item", "hook_attempts", {"hooks": [_attempt(error=1)]}, "hooks[0].error: 1 is not"),
]


def _without_ellipsis(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_ellipsis(v) for k, v in value.items() if v is not ...}
    if isinstance(value, list):
        return [_without_ellipsis(item) for item in value]
    return value


@pytest.mark.parametrize(
    ("name", "body"),
    [(name, body) for name, bodies in VALID_RESPONSES.items() for body in bodies],
)
def test_valid_response_passes(name: str, body: Any) -> None:
    assert schemas.errors(name, body) == []


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [(name, _without_ellipsis(body), expected) for _, name, body, expected in BROKEN_RESPONSES],
    ids=[case[0] for case in BROKEN_RESPONSES],
)
def test_broken_response_is_rejected_naming_the_field(name: str, body: Any, expected: str) -> None:
    messages = schemas.errors(name, body)
    assert any(message.startswith(expected) for message in messages), messages


def test_every_control_schema_has_examples() -> None:
    covered = set(VALID_REQUESTS) | set(VALID_RESPONSES)
    assert covered == set(schemas.CONTROL_SCHEMA_NAMES)
    broken = {case[1] for case in BROKEN_REQUESTS} | {case[1] for case in BROKEN_RESPONSES}
    assert broken == set(schemas.CONTROL_SCHEMA_NAMES)


@pytest.mark.parametrize("name", schemas.CONTROL_SCHEMA_NAMES)
def test_control_schemas_are_marked_as_the_mock_s_own(name: str) -> None:
    schema = schemas.load(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"https://midjourney-api-mock.local/schemas/{name}.schema.json"
    assert schema["title"].startswith("Mock control: ")
    assert schema["description"].startswith("[mock] ")
    assert schema.get("additionalProperties") is False
    assert name not in schemas.PROVIDER_SCHEMA_NAMES


def test_the_task_view_embeds_the_job_status_item_exactly() -> None:
    task = schemas.load("control_task")
    assert task["properties"]["item"]["$ref"] == "task.schema.json"
    attempt = schemas.load("hook_attempt")
    assert attempt["properties"]["payload"]["$ref"] == "hook_payload.schema.json"


# --- the OpenAPI components say the same ----------------------------------------------------


@functools.cache
def _component_validator(component: str) -> Draft202012Validator:
    registry: Registry[Any] = Registry().with_resource(
        DOC_URI, DRAFT202012.create_resource(schemas.openapi("mock"))
    )
    return Draft202012Validator(
        {"$ref": f"{DOC_URI}#/components/schemas/{component}"}, registry=registry
    )


ALL_CASES = [
    *valid_requests(),
    *((name, body) for name, bodies in VALID_RESPONSES.items() for body in bodies),
    *((name, body) for name, body, _ in broken_requests()),
    *((name, _without_ellipsis(body)) for _, name, body, _ in BROKEN_RESPONSES),
]


@pytest.mark.parametrize(("name", "body"), ALL_CASES)
def test_mock_document_components_agree_with_the_schema_files(name: str, body: Any) -> None:
    component = _component_validator(component_name(name))
    assert component.is_valid(copy.deepcopy(body)) == schemas.is_valid(name, body)
