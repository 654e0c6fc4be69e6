"""A provider that keeps every [doc] fact of CONTRACT.md and differs in every undocumented way.

The live contract suite must pass against it: it holds the real service to the docs, and only
observes the mock's [decisions]. Differences from the mock, each one a choice the docs leave open
(CONTRACT.md, "What a suite may assert against the live API"):

- completed items carry `image` (the provider's Python guide reads it) and a field of its own;
- submit answers have no `message`, error bodies no `data`;
- envelope codes are strings ("0"), and job-status answers come in an envelope;
- unknown ids, and other keys' ids, are reported as failed items without `createdAt`;
- items come in reverse request order;
- an out-of-range `timeout` is clamped, an empty prompt accepted (the task fails later) and
  `{"taskIds": [""]}` accepted;
- a bad key gets HTTP 403 on submit-jobs and a body code in an HTTP 200 on job-status.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from mock_server import MockServer

from .rewrite import Exchange, JsonRewrite
from .serving import LIVE_KEYS, WSGIApp, live_config

__all__ = ["documented_but_different"]

NOT_FOUND = "task not found"
# Fails later, as the docs' own failReason sample does: an unknown personalize code.
EMPTY_PROMPT = "(empty prompt) --p 000000"


def _before(exchange: Exchange) -> None:
    body = exchange.request
    if exchange.key not in LIVE_KEYS:
        if exchange.path.endswith("/submit-jobs"):
            exchange.http_status, exchange.answer = 403, {"status": 403, "message": "Forbidden"}
        else:
            exchange.http_status, exchange.answer = 200, {"status": "10001", "msg": "bad key"}
        return
    if not isinstance(body, dict):
        return
    if exchange.path.endswith("/submit-jobs"):
        timeout = body.get("timeout")
        if isinstance(timeout, int) and not isinstance(timeout, bool):
            body["timeout"] = min(1200, max(300, timeout))
        prompt = body.get("prompt")
        if isinstance(prompt, str) and not prompt.strip():
            body["prompt"] = EMPTY_PROMPT
    elif isinstance(body.get("taskIds"), list):
        body["taskIds"] = [i for i in body["taskIds"] if i != ""]


def _completed(item: dict[str, Any]) -> dict[str, Any]:
    grid = item["images"][0].rsplit("/", 1)[0] + "/grid_0.png"
    return {**item, "image": grid, "seed": 1234567}


def _after(exchange: Exchange) -> None:
    answer = exchange.answer
    if not isinstance(answer, dict):
        return
    if answer.get("data") is None and answer.get("status") not in (0, "0", None):
        answer.pop("data", None)
        return
    if exchange.path.endswith("/submit-jobs"):
        answer.pop("message", None)
        return
    items = answer.get("data")
    if exchange.http_status != 200 or not isinstance(items, list):
        return
    asked = exchange.request.get("taskIds", []) if isinstance(exchange.request, dict) else []
    known = {item["taskId"] for item in items}
    reported = [_completed(i) if i.get("status") in (1, "1") else i for i in reversed(items)]
    for task_id in dict.fromkeys(asked):
        if isinstance(task_id, str) and task_id not in known:
            reported.append({"taskId": task_id, "status": 2, "failReason": NOT_FOUND})
    exchange.answer = {"status": "0", "message": "ok", "data": reported}


def different(app: WSGIApp) -> WSGIApp:
    return JsonRewrite(app, _before, _after)


@contextlib.contextmanager
def documented_but_different(seed: int = 0) -> Iterator[str]:
    """The stand-in, served on loopback; its base URL."""
    config = live_config(seed).with_overrides(status_as_string=True)
    with MockServer(config, port=0, wrap_app=different) as server:
        yield server.url
