"""Deliberately broken variants of the mock, as WSGI middleware around its app.

Each one breaks exactly one thing the contract promises [doc] and names the test written to
catch it; the live contract suite must fail against every one of them, in that test
(`tests/test_contract_targets.py`). The breakages that only show inside the mock (refunds, hook
retries, ...) are in `mutants.py`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from .rewrite import call_app
from .serving import LIVE_KEYS, WSGIApp

__all__ = ["VARIANTS", "Variant"]

Item = dict[str, Any]
StartResponse = Callable[..., Any]
VALID_KEY, SECOND_KEY, EMPTY_KEY = LIVE_KEYS


class RewriteCompleted:
    """Passes every request through, then edits each completed item of job-status answers."""

    def __init__(self, app: WSGIApp, edit: Callable[[Item], Item]) -> None:
        self.app = app
        self.edit = edit

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not str(environ.get("PATH_INFO", "")).endswith("/job-status"):
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        status, headers, body = call_app(self.app, environ)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and isinstance(payload.get("data"), list):
            payload["data"] = [
                self.edit(dict(item)) if item.get("status") in (1, "1") else item
                for item in payload["data"]
            ]
            body = json.dumps(payload).encode()
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]


def drop_field(app: WSGIApp) -> WSGIApp:
    def edit(item: Item) -> Item:
        item.pop("mjPrompt", None)
        return item

    return RewriteCompleted(app, edit)


def wrong_type(app: WSGIApp) -> WSGIApp:
    def edit(item: Item) -> Item:
        item["meta"] = {**item["meta"], "width": str(item["meta"]["width"])}
        return item

    return RewriteCompleted(app, edit)


def three_images(app: WSGIApp) -> WSGIApp:
    def edit(item: Item) -> Item:
        item["images"] = item["images"][:3]
        return item

    return RewriteCompleted(app, edit)


def status_backwards(app: WSGIApp) -> WSGIApp:
    """The first answer showing a task completed is right; every later one says 0 again."""
    seen: set[str] = set()
    lock = threading.Lock()

    def edit(item: Item) -> Item:
        with lock:
            if item["taskId"] not in seen:
                seen.add(item["taskId"])
                return item
        return {"taskId": item["taskId"], "status": 0}

    return RewriteCompleted(app, edit)


def no_auth(app: WSGIApp) -> WSGIApp:
    """Any API-KEY, or none, is taken as the account's key."""

    def middleware(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("HTTP_API_KEY") not in LIVE_KEYS:
            environ = {**environ, "HTTP_API_KEY": VALID_KEY}
        return app(environ, start_response)  # type: ignore[no-any-return]

    return middleware


def _swap_key(route: str, key: str) -> Callable[[WSGIApp], WSGIApp]:
    """Requests to `route` with `key` are served as the first account's."""

    def wrap(app: WSGIApp) -> WSGIApp:
        def middleware(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
            path = str(environ.get("PATH_INFO", ""))
            if path.endswith(route) and environ.get("HTTP_API_KEY") == key:
                environ = {**environ, "HTTP_API_KEY": VALID_KEY}
            return app(environ, start_response)  # type: ignore[no-any-return]

        return middleware

    return wrap


def wrong_meta(app: WSGIApp) -> WSGIApp:
    def edit(item: Item) -> Item:
        item["meta"] = {"width": item["meta"]["height"], "height": item["meta"]["width"]}
        return item

    return RewriteCompleted(app, edit)


class Variant:
    def __init__(
        self, name: str, wrap: Callable[[WSGIApp], WSGIApp], tell: str, caught_by: str
    ) -> None:
        self.name = name
        self.wrap = wrap
        # Text the suite's failure output must contain: proof it failed for this reason.
        self.tell = tell
        # The test (under contract_tests/) written for this promise: it must be among the failed.
        self.caught_by = caught_by


VARIANTS = [
    Variant(
        "missing-field",
        drop_field,
        "mjPrompt: is required",
        "test_lifecycle.py::test_a_completed_task_has_the_documented_fields",
    ),
    Variant(
        "wrong-type",
        wrong_type,
        "meta.width",
        "test_lifecycle.py::test_a_completed_task_has_the_grid_size_of_its_aspect_ratio",
    ),
    Variant(
        "status-backwards",
        status_backwards,
        "went from status 1 to 0",
        "test_lifecycle.py::test_a_finished_status_never_moves_back",
    ),
    Variant(
        "auth-not-enforced",
        no_auth,
        "accepted a request it must refuse",
        "test_auth.py::test_submit_refuses_a_bad_key[wrong]",
    ),
    Variant(
        "three-images",
        three_images,
        "images: must have at least 4 items",
        "test_lifecycle.py::test_a_completed_task_has_the_documented_fields",
    ),
    Variant(
        "quota-oversold",
        _swap_key("/submit-jobs", EMPTY_KEY),
        "accepted a request it must refuse",
        "test_quota.py::test_an_account_without_quota_gets_1001",
    ),
    Variant(
        "foreign-visible",
        _swap_key("/job-status", SECOND_KEY),
        "another key sees task",
        "test_job_status.py::test_another_keys_tasks_are_invisible",
    ),
    Variant(
        "wrong-meta",
        wrong_meta,
        "(1456, 816) == (816, 1456)",
        "test_lifecycle.py::test_a_completed_task_has_the_grid_size_of_its_aspect_ratio",
    ),
]
