"""The two provider endpoints, kept thin: authenticate, validate against `schemas/`, call the
backend, render. Routes mirror the real API exactly; nothing else is exposed under /midjourney."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from mock_server.domain.lifecycle import MidjourneyBackend, SubmitRequest
from mock_server.domain.per_backend import PerBackend
from mock_server.errors import Unauthorized
from mock_server.web import jsonenc
from mock_server.web.bodies import current_backend, json_response, read_json_body, validated
from mock_server.web.wire import ItemCache, job_status_body, submit_success_body

__all__ = [
    "item_cache_for",
    "job_status_answer",
    "submit_answer",
]

LENIENT_MODE_ALIASES = {"relax": "relaxed", "turbo": "fast"}


def _authenticated_key() -> str:
    backend = current_backend()
    key = request.headers.get("API-KEY")
    if key is None and request.headers.get("Authorization"):
        # A common mistake with this API; say what to send instead.
        raise Unauthorized("missing API-KEY header (this API does not use Authorization)")
    try:
        return backend.authenticate(key)
    except Unauthorized:
        # A WSGI server joins a repeated header into "a, b", which matches no key; say why.
        if key is not None and ", " in key:
            raise Unauthorized("invalid API-KEY: send the API-KEY header once") from None
        raise


def submit_answer(
    backend: MidjourneyBackend, api_key: str, body: Any, *, known_valid: bool = False
) -> bytes:
    """A submit's answer for a parsed body: validate against the schema, create the task,
    render. The Flask view and the fast path (`web.fastpath`) both come here; every ApiError is
    raised before any state changes, so a caller may hand the request on after one.
    `known_valid`: this very body passed the schema before (the fast path remembers)."""
    config = backend.config
    if config.lenient_modes and isinstance(body, dict) and body.get("mode") in LENIENT_MODE_ALIASES:
        body["mode"] = LENIENT_MODE_ALIASES[body["mode"]]
    fields = body if known_valid else validated("submit_request", body)
    hook_url = fields.get("hookUrl") or None
    task = backend.submit(
        api_key,
        SubmitRequest(
            prompt=fields["prompt"],
            mode=fields.get("mode", "fast"),
            hook_url=hook_url,
            timeout=None if fields.get("timeout") is None else int(fields["timeout"]),
        ),
    )
    return jsonenc.dumps(submit_success_body(task, config))


def job_status_answer(
    backend: MidjourneyBackend, api_key: str, body: Any, *, known_valid: bool = False
) -> bytes:
    """A job-status answer for a parsed body (shared with the fast path, like `submit_answer`)."""
    fields = body if known_valid else validated("job_status_request", body)
    tasks = backend.job_status(api_key, fields["taskIds"])
    cache = item_cache_for(backend)
    return jsonenc.dumps(job_status_body(tasks, backend.config, fields["taskIds"], cache=cache))


# The backend's item cache, made (and tied to its reset) on first use.
item_cache_for = PerBackend(lambda backend: ItemCache(), ItemCache.clear)


def submit_jobs() -> Response:
    backend = current_backend()
    api_key = _authenticated_key()
    return json_response(submit_answer(backend, api_key, read_json_body(backend.config)))


def job_status() -> Response:
    backend = current_backend()
    api_key = _authenticated_key()
    return json_response(job_status_answer(backend, api_key, read_json_body(backend.config)))
