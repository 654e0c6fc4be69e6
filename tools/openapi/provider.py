"""`openapi.yaml`: midjourney-api.com's API and nothing else.

Generate a client from it, or point Prism at it, and you get the real service's surface: the two
provider routes (their paths are `schemas.routes`'s), the `API-KEY` scheme, the error responses
the mock answers with, and the provider's schema files as components. `build` also takes extra
routes, which `mock.py` uses for the mock's document; a route may be added but never replace a
provider route.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from schemas import PROVIDER_SCHEMA_NAMES, SCHEMA_NAMES
from schemas.routes import JOB_STATUS, SUBMIT_JOBS

from .components import CONSUMER_LAYER, ERROR_RESPONSES, components, error_refs, json_media

__all__ = ["build"]


def _submit_operation() -> dict[str, Any]:
    return {
        "operationId": "submitJobs",
        "summary": "Submit a Midjourney generation task",
        "description": (
            "[doc] Queues one image task and returns its id. Prompt problems (a bad `--p` code, a "
            "banned word) are not rejected here: the task fails later, as in the docs' failReason "
            "sample. Quota (1001) and concurrency (1002) errors come back with HTTP 200."
        ),
        "requestBody": {
            "required": True,
            "content": json_media(
                "submit_request",
                {"quickstart": ("Quickstart body", "quickstart/submit_request.json")},
            ),
        },
        "responses": {
            "200": {
                "description": (
                    "[doc] The task id, or a documented error (1001 quota, 1002 concurrency)."
                ),
                "content": json_media(
                    "submit_response",
                    {
                        "quickstart": (
                            "Quickstart sample (string status)",
                            "quickstart/submit_response.json",
                        ),
                        "apiReference": (
                            "API reference sample (integer status)",
                            "api_reference/submit_response.json",
                        ),
                        "quota": ("1001: quota not enough", "api_reference/error_quota.json"),
                        "concurrency": (
                            "1002: too many tasks in progress",
                            "api_reference/error_concurrency.json",
                        ),
                    },
                ),
                "links": {
                    "GetJobStatus": {
                        "operationId": "jobStatus",
                        "description": "Poll the task just submitted.",
                        "requestBody": {"taskIds": ["$response.body#/data/taskId"]},
                    }
                },
            },
            **error_refs(),
        },
        "callbacks": {
            "taskFinished": {
                "{$request.body#/hookUrl}": {
                    "post": {
                        "summary": "Sent to hookUrl when the task completes or fails",
                        "description": (
                            "[doc] One POST when the task finishes; answer 2xx quickly and keep "
                            "polling as a fallback. The body and the retries are the mock's "
                            "[decision]."
                        ),
                        "requestBody": {
                            "required": True,
                            "content": json_media("hook_payload", {}),
                        },
                        "responses": {"2XX": {"description": "Received."}},
                    }
                }
            }
        },
    }


def _status_operation() -> dict[str, Any]:
    return {
        "operationId": "jobStatus",
        "summary": "Fetch the state of one or more tasks",
        "description": (
            "[doc] One item per task, shaped by its status. [decision] Items follow the order of "
            "`taskIds` with duplicates collapsed; unknown ids and other keys' tasks are left out."
        ),
        "requestBody": {
            "required": True,
            "content": json_media(
                "job_status_request",
                {"quickstart": ("Quickstart body", "quickstart/job_status_request.json")},
            ),
        },
        "responses": {
            "200": {
                "description": "[doc] The known tasks.",
                "content": json_media(
                    "job_status_response",
                    {
                        "quickstart": (
                            "Quickstart sample: in progress, failed, completed",
                            "quickstart/job_status_response.json",
                        )
                    },
                ),
            },
            **error_refs(),
        },
    }


def build(
    extra_paths: dict[str, Any] | None = None,
    *,
    extra_schemas: Sequence[str] = (),
    extra_security_schemes: dict[str, Any] | None = None,
    tags: Sequence[dict[str, Any]] = (),
    info: dict[str, Any] | None = None,
    servers: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document; with no arguments, exactly the provider's API.

    ``extra_paths`` adds routes but may not replace one; ``extra_schemas`` names the schema files
    those routes use (published as components of this document only); ``extra_security_schemes``
    and ``tags`` are added alongside; ``info`` and ``servers`` replace the provider's.
    """
    paths: dict[str, Any] = {
        SUBMIT_JOBS: {"post": _submit_operation()},
        JOB_STATUS: {"post": _status_operation()},
    }
    for path, item in (extra_paths or {}).items():
        if path in paths:
            raise ValueError(f"extra path {path!r} would replace a provider route")
        paths[path] = copy.deepcopy(item)
    unknown = [name for name in extra_schemas if name not in SCHEMA_NAMES]
    if unknown:
        raise KeyError(f"unknown schema(s) {', '.join(unknown)}")
    names = [*PROVIDER_SCHEMA_NAMES, *(n for n in extra_schemas if n not in PROVIDER_SCHEMA_NAMES)]
    security_schemes: dict[str, Any] = {
        "ApiKeyAuth": {
            "type": "apiKey",
            "in": "header",
            "name": "API-KEY",
            "description": "[doc] The account's key; not an Authorization header.",
        }
    }
    for scheme, definition in (extra_security_schemes or {}).items():
        if scheme in security_schemes:
            raise ValueError(f"extra security scheme {scheme!r} would replace a provider one")
        security_schemes[scheme] = copy.deepcopy(definition)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": copy.deepcopy(info)
        if info is not None
        else {
            "title": "midjourney-api.com",
            "version": "v1",
            "description": (
                "The two routes of the midjourney-api.com image API, as documented by the provider "
                "and as implemented by midjourney-api-mock. No other route exists."
            ),
        },
        "servers": copy.deepcopy(list(servers))
        if servers is not None
        else [{"url": "https://api.midjourney-api.com", "description": "The real API"}],
        "security": [{"ApiKeyAuth": []}],
    }
    # Which schema layer the components are (see `schemas.LAYERS`): the strict one, and where the
    # other lives, so a reader of either document knows what a client may rely on.
    document["info"].setdefault("x-schema-layer", "strict")
    document["info"].setdefault("x-consumer-schemas", CONSUMER_LAYER)
    if tags:
        document["tags"] = copy.deepcopy(list(tags))
    document["paths"] = paths
    document["components"] = {
        "securitySchemes": security_schemes,
        "responses": {
            name: {"description": description, "content": json_media("error", {})}
            for name, description in ERROR_RESPONSES.values()
        },
        "schemas": components(names),
    }
    return document
