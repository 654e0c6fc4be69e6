"""The two provider endpoints, kept thin: authenticate, validate against `schemas/`, call the
backend, render. Routes mirror the real API exactly; nothing else is exposed under /midjourney."""

from __future__ import annotations

from flask import Blueprint, Response, request

from .backend import SubmitRequest
from .errors import Unauthorized
from .http import current_backend, json_response, read_json_body, validated
from .render import job_status_body, submit_success_body

__all__ = ["STATUS_PATH", "SUBMIT_PATH", "blueprint"]

SUBMIT_PATH = "/midjourney/v1/submit-jobs"
STATUS_PATH = "/midjourney/v1/job-status"
LENIENT_MODE_ALIASES = {"relax": "relaxed", "turbo": "fast"}

blueprint = Blueprint("midjourney_api", __name__)


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


@blueprint.post(SUBMIT_PATH)
def submit_jobs() -> Response:
    backend = current_backend()
    config = backend.config
    api_key = _authenticated_key()
    body = read_json_body(config)
    if config.lenient_modes and isinstance(body, dict) and body.get("mode") in LENIENT_MODE_ALIASES:
        body["mode"] = LENIENT_MODE_ALIASES[body["mode"]]
    fields = validated("submit_request", body)
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
    return json_response(submit_success_body(task, config))


@blueprint.post(STATUS_PATH)
def job_status() -> Response:
    backend = current_backend()
    api_key = _authenticated_key()
    fields = validated("job_status_request", read_json_body(backend.config))
    tasks = backend.job_status(api_key, fields["taskIds"])
    return json_response(job_status_body(tasks, backend.config, fields["taskIds"]))
