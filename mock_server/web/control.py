"""`/__mock/`: what a test may do to the mock that a real client never could.

The same backend as the provider endpoints, so a forced outcome or a clock advance is seen at once
by the API. Requests are validated by the `control_*` schemas; answers are plain JSON views.
When a control token is configured every call needs it, so a shared server cannot be reset by a
stranger.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import Response, current_app, request

from mock_server.domain.scenario import load_scenario, player_for
from mock_server.errors import InvalidRequest, NotFound, Unauthorized
from mock_server.records import HookAttempt
from mock_server.version import mock_version
from mock_server.web.bodies import current_backend, json_response, read_json_body, validated
from mock_server.web.journal import journal_for
from mock_server.web.wire import (
    RESET_VIEW,
    clock_view,
    fault_view,
    faults_view,
    health_view,
    hook_attempt_view,
    key_view,
    listing_view,
    requests_view,
    scenario_view,
    task_view,
)

__all__ = [
    "TOKEN_HEADER",
    "public",
]

TOKEN_HEADER = "X-Mock-Token"
_PUBLIC = "mj_mock_public"
Item = TypeVar("Item")
View = TypeVar("View")


def public(view: View) -> View:
    """Mark a view under /__mock that serves no state (the dashboard's page and its static
    files): it needs no token, so a browser can load it and then send the token itself."""
    setattr(view, _PUBLIC, True)
    return view


def _body(schema_name: str, *, optional: bool = False) -> dict[str, Any]:
    backend = current_backend()
    if optional and not request.get_data(cache=True).strip():
        return {}
    return validated(schema_name, read_json_body(backend.config))


def check_token() -> None:
    """Before every control route: the control token, when one is configured."""
    token = current_backend().config.control_token
    view = current_app.view_functions.get(request.endpoint or "")
    if token is None or getattr(view, _PUBLIC, False):
        return
    given = request.headers.get(TOKEN_HEADER, "")
    if not given and request.headers.get("Authorization", "").startswith("Bearer "):
        given = request.headers["Authorization"].removeprefix("Bearer ")
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode("utf-8")):
        raise Unauthorized(f"the control API needs the {TOKEN_HEADER} header with its token")


def health() -> Response:
    return json_response(health_view(current_backend(), mock_version()))


def reset() -> Response:
    current_backend().reset()
    return json_response(RESET_VIEW)


def get_clock() -> Response:
    return json_response(clock_view(current_backend()))


def advance_clock() -> Response:
    seconds = float(_body("control_advance_request")["seconds"])
    backend = current_backend()
    backend.advance(seconds)
    return json_response(clock_view(backend))


MAX_PAGE = 1000


def _page_arguments() -> tuple[int | None, int | None]:
    """`limit` (1 to MAX_PAGE) and `cursor` (a `nextCursor` given back) from the query."""
    limit_text = request.args.get("limit")
    cursor_text = request.args.get("cursor")
    limit = cursor = None
    if limit_text is not None:
        if (
            not limit_text.isascii()
            or not limit_text.isdigit()
            or not 1 <= int(limit_text) <= MAX_PAGE
        ):
            raise InvalidRequest(f"limit must be an integer from 1 to {MAX_PAGE}")
        limit = int(limit_text)
    if cursor_text is not None:
        if not cursor_text.isascii() or not cursor_text.isdigit() or len(cursor_text) > 18:
            raise InvalidRequest("cursor must be a nextCursor this listing returned")
        cursor = int(cursor_text)
    return limit, cursor


def list_tasks() -> Response:
    """Every task, or with `limit` one page of them: 100k tasks need not be one 85 MB answer."""
    backend = current_backend()
    limit, cursor = _page_arguments()
    if limit is None and cursor is None:
        tasks, next_cursor = backend.tasks(), None
    else:
        wanted = limit or MAX_PAGE
        tasks = backend.tasks_page(cursor, wanted + 1)
        next_cursor = str(tasks[wanted - 1].seq) if len(tasks) > wanted else None
        tasks = tasks[:wanted]
    views = [task_view(task, backend) for task in tasks]
    return json_response(listing_view("tasks", views, next_cursor))


def get_task(taskId: str) -> Response:
    backend = current_backend()
    return json_response(task_view(backend.get_task(taskId), backend))


def complete_task(taskId: str) -> Response:
    backend = current_backend()
    return json_response(task_view(backend.complete(taskId), backend))


def fail_task(taskId: str) -> Response:
    reason = _body("control_fail_request", optional=True).get("reason", "Task failed (forced)")
    backend = current_backend()
    return json_response(task_view(backend.fail(taskId, reason), backend))


def _listing(name: str, items: Sequence[Item], view: Callable[[Item], dict[str, Any]]) -> Response:
    """A control listing whole, or with `limit` one page from the offset `cursor` names. The
    journal and the accounts only grow at the end, so an offset stays a stable cursor."""
    limit, cursor = _page_arguments()
    if limit is None and cursor is None:
        return json_response(listing_view(name, [view(item) for item in items], None))
    start = cursor or 0
    end = start + (limit or MAX_PAGE)
    next_cursor = str(end) if end < len(items) else None
    return json_response(listing_view(name, [view(item) for item in items[start:end]], next_cursor))


def list_keys() -> Response:
    backend = current_backend()
    return _listing("keys", list(backend.accounts()), lambda account: key_view(account, backend))


def add_key() -> Response:
    body = _body("control_key_request")
    backend = current_backend()
    return json_response(key_view(backend.add_key(body["key"], int(body["quota"])), backend))


def _attempts() -> list[HookAttempt]:
    hooks = current_backend().hooks
    return hooks.attempts() if hooks is not None else []


def list_hooks() -> Response:
    return _listing("hooks", _attempts(), hook_attempt_view)


def redeliver_hook(hookId: str) -> Response:
    hooks = current_backend().hooks
    if hooks is None:
        raise NotFound("hook delivery is not set up in this mock")
    return json_response(hook_attempt_view(hooks.redeliver(hookId)))


def list_requests() -> Response:
    return json_response(requests_view(journal_for(current_backend()).entries()))


def list_faults() -> Response:
    faults = current_backend().faults.faults()
    return json_response(faults_view(faults))


def add_fault() -> Response:
    fault = current_backend().faults.add(_body("control_fault_request"))
    return json_response(fault_view(fault))


def clear_faults() -> Response:
    current_backend().faults.clear()
    return json_response(faults_view([]))


def get_scenario() -> Response:
    return json_response(scenario_view(player_for(current_backend()), _attempts()))


def start_scenario() -> Response:
    """Load a shipped scenario by name or a whole document; its timeline starts now."""
    body = _body("control_scenario_request")
    player = player_for(current_backend())
    player.load(load_scenario(body["name"] if "name" in body else body["scenario"]))
    return json_response(scenario_view(player, _attempts()))


def unload_scenario() -> Response:
    player = player_for(current_backend())
    player.unload()
    return json_response(scenario_view(player, _attempts()))
