"""`/__mock/ui`: a dashboard of the running mock, for a developer watching what their app did.

The page is static (HTML, plain JavaScript and CSS shipped in `mock_server/dashboard/`, no build
step, nothing from a CDN) and holds no state, so it needs no control token: it reads the token
from its own URL (`?token=`, as the start-up banner prints it), keeps it in sessionStorage and
sends it as `X-Mock-Token` with every call. Everything it shows comes from `GET /__mock/ui/data`,
one page of newest-first tasks plus the rest of the state; every button calls the ordinary
control API. This blueprint is nested in the control blueprint, so the control plane's rules
(its token, and whatever else guards it) cover these routes too; `public` marks the stateless ones.

Thumbnails come from `/__mock/ui/images/...`: the same bytes the mock's `/cdn` route serves,
whatever the configured `image_base_url` is, but without passing through the CDN's injected
faults, so watching the dashboard never uses up a fault a test installed for its app.
"""

from __future__ import annotations

import math
from importlib import resources
from typing import Any

from flask import Response, current_app, request, url_for
from werkzeug.exceptions import HTTPException

from mock_server.domain.lifecycle import MidjourneyBackend
from mock_server.errors import InvalidRequest, NotFound
from mock_server.records import Task, TaskStatus
from mock_server.version import mock_version
from mock_server.web.bodies import current_backend, json_response
from mock_server.web.control import public
from mock_server.web.wire import clock_view, fault_view, hook_attempt_view, key_view, task_view
from schemas.routes import CDN_IMAGE

__all__ = ["DEFAULT_PER_PAGE", "MAX_PER_PAGE", "dashboard_data", "display_url"]

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
DEFAULT_HOOKS = 50
ASSETS = {
    "dashboard.js": "text/javascript",
    "dashboard.css": "text/css",
}
# The page runs only its own script and talks only to its own origin; a prompt that slipped
# past the escaping still could not run or send anything anywhere.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _asset(name: str) -> bytes:
    return (
        resources.files("mock_server.web").joinpath("dashboard_files").joinpath(name).read_bytes()
    )


def _static(body: bytes, mimetype: str) -> Response:
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    # The token may arrive in the page's URL: it must not leak on in a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-cache"
    return response


@public
def page() -> Response:
    return _static(_asset("index.html"), "text/html")


@public
def asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound(f"no dashboard file {name!r}")
    return _static(_asset(name), ASSETS[name])


@public
def image(jobId: str, name: str) -> Response:
    """Whatever the mock's CDN serves at `/cdn/<jobId>/<name>`, answered by its own view but not
    through its fault hook. Public like the CDN itself: it shows nothing the CDN does not."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, arguments = adapter.match(CDN_IMAGE.format(jobId=jobId, image=name), method="GET")
    except HTTPException:  # no CDN route matches: no such file
        raise NotFound(f"no image {name!r} of job {jobId!r}") from None
    if not str(endpoint).startswith("mock_cdn."):
        raise NotFound(f"no image {name!r} of job {jobId!r}")
    answer: Any = current_app.view_functions[endpoint](**arguments)
    response: Response = current_app.make_response(answer)
    return response


def data() -> Response:
    response = json_response(dashboard_data(current_backend(), request.args))
    response.headers["Cache-Control"] = "no-store"
    return response


def _int_arg(args: Any, name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequest(f"{name} must be an integer (got {str(raw)[:40]!r})") from None
    if not low <= value <= high:
        raise InvalidRequest(f"{name} must be between {low} and {high} (got {value})")
    return value


def _status_arg(args: Any) -> TaskStatus | None:
    raw = args.get("status")
    if raw is None or raw == "":
        return None
    if raw not in ("0", "1", "2"):
        raise InvalidRequest(f"status must be 0, 1 or 2 (got {str(raw)[:40]!r})")
    return TaskStatus(int(raw))


def display_url(url: str, base: str) -> str | None:
    """A configured image URL turned into the dashboard's own image route (same origin)."""
    prefix = base.rstrip("/") + "/"
    if not url.startswith(prefix):
        return None
    parts = url[len(prefix) :].split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return url_for("mock_control.dashboard.image", jobId=parts[0], name=parts[1])


def _row(task: Task, backend: MidjourneyBackend) -> dict[str, Any]:
    view = task_view(task, backend)
    item = view["item"]
    base = backend.config.image_base_url
    images = [display_url(url, base) for url in item.get("images", [])]
    grid = item.get("image")
    return {
        "task": view,
        "images": [url for url in images if url is not None],
        "grid": display_url(grid, base) if isinstance(grid, str) else None,
    }


def dashboard_data(backend: MidjourneyBackend, args: Any) -> dict[str, Any]:
    """Everything the page shows, in one answer: one page of tasks, newest first, so the cost
    stays a sort and a slice however many tasks the mock holds."""
    per_page = _int_arg(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    page = _int_arg(args, "page", 1, 1, 10**9)
    hook_limit = _int_arg(args, "hooks", DEFAULT_HOOKS, 0, MAX_PER_PAGE)
    status = _status_arg(args)
    tasks = backend.tasks()
    counts = {state: 0 for state in TaskStatus}
    for task in tasks:
        counts[task.status] += 1
    if status is not None:
        tasks = [task for task in tasks if task.status == status]
    tasks.sort(key=lambda task: task.seq, reverse=True)
    pages = max(1, math.ceil(len(tasks) / per_page))
    page = min(page, pages)
    shown = tasks[(page - 1) * per_page : page * per_page]
    hooks = backend.hooks
    attempts = hooks.attempts() if hooks is not None else []
    return {
        "version": mock_version(),
        "clock": clock_view(backend),
        "keys": [key_view(account, backend) for account in backend.accounts()],
        "faults": [fault_view(fault) for fault in backend.faults.faults()],
        "counts": {
            "inProgress": counts[TaskStatus.IN_PROGRESS],
            "completed": counts[TaskStatus.COMPLETED],
            "failed": counts[TaskStatus.FAILED],
        },
        "tasks": {
            "page": page,
            "perPage": per_page,
            "pages": pages,
            "total": len(tasks),
            "status": None if status is None else int(status),
            "items": [_row(task, backend) for task in shown],
        },
        "hooks": {
            "total": len(attempts),
            "items": [hook_attempt_view(attempt) for attempt in reversed(attempts[-hook_limit:])]
            if hook_limit
            else [],
        },
    }
