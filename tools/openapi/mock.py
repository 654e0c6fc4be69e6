"""`openapi-mock.yaml`: the provider's API plus the mock's own routes.

The control API under `/__mock/` (tag `mock-control`, `control.py`) and the placeholder images
under `/cdn/` (tag `mock-cdn`), with the control schemas as extra components. Neither exists on
the real service. Every path is `schemas.routes`'s: this module writes what a route does, never
where.
"""

from __future__ import annotations

from typing import Any

from schemas import CONTROL_SCHEMA_NAMES
from schemas.routes import CDN_IMAGE

from .components import error_response, path_parameter
from .control import CONTROL_TAG, control_paths
from .provider import build

__all__ = ["CDN_TAG", "build_mock"]

CDN_TAG = "mock-cdn"
_MOCK_TOKEN_SCHEME = {
    "type": "apiKey",
    "in": "header",
    "name": "X-Mock-Token",
    "description": (
        "[mock] Only when the mock is started with a control token: then every /__mock/ request "
        "must send it. Without a configured token the control API is open, so the requirement "
        "is optional here."
    ),
}


def _cdn_path() -> dict[str, Any]:
    return {
        "parameters": [
            path_parameter(
                "jobId",
                "The jobId of a completed task (the folder in its image URLs).",
                {"type": "string"},
            ),
            path_parameter(
                "image",
                "One of the four grid cells: 0_0.png, 0_1.png, 0_2.png or 0_3.png.",
                {"type": "string", "examples": ["0_0.png"]},
            ),
        ],
        "get": {
            "tags": [CDN_TAG],
            "operationId": "cdnImage",
            "summary": "A placeholder grid image",
            "description": (
                "[mock] Serves a completed task's images when the mock's image base URL points at "
                "it, so apps that download their results work offline. The real images live on "
                "cdn.midjourney.com. A flat PNG of the task's grid size, the same bytes every time."
            ),
            "security": [],
            "responses": {
                "200": {
                    "description": "The PNG.",
                    "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
                },
                "404": error_response(
                    "[mock] No completed task with this jobId, or not one of the 4 names."
                ),
            },
        },
    }


def build_mock() -> dict[str, Any]:
    """The provider's API plus the mock's control API and image route (``openapi-mock.yaml``)."""
    return build(
        extra_paths={**control_paths(), CDN_IMAGE: _cdn_path()},
        extra_schemas=CONTROL_SCHEMA_NAMES,
        extra_security_schemes={"MockToken": _MOCK_TOKEN_SCHEME},
        tags=[
            {
                "name": CONTROL_TAG,
                "description": (
                    "[mock] The mock's own control API for tests: time, tasks, keys, faults, "
                    "hooks. Not part of midjourney-api.com."
                ),
            },
            {
                "name": CDN_TAG,
                "description": "[mock] Placeholder images for completed tasks, served offline.",
            },
        ],
        info={
            "title": "midjourney-api-mock",
            "version": "v1",
            "description": (
                "The two routes of the midjourney-api.com image API, as documented by the "
                "provider, plus the mock's own routes: the control API under /__mock/ (tag "
                "mock-control) and placeholder images under /cdn/ (tag mock-cdn). Only the two "
                "provider routes exist on the real service; its faithful description is "
                "openapi.yaml."
            ),
        },
        servers=[{"url": "http://127.0.0.1:8080", "description": "The mock (`mj-mock serve`)"}],
    )
