"""What every answer of the two endpoints must be, whichever test received it.

`Target` hangs an `AnswerCheck` on its HTTP session as a response hook, so each answer from
submit-jobs and job-status is recorded (`--mj-record`) and checked on the way in: JSON, the schema
for its endpoint and status (`checks.response_problems`), and, through `StatusTracker`, a task
status that never moves back. A broken target thus fails the first test that happens to see it,
with a `ContractViolation` that the live plugin never turns into an observation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from schemas.recording import Recorder

from .checks import body_status, endpoint_of, response_problems

__all__ = [
    "AnswerCheck",
    "ContractViolation",
    "StatusTracker",
    "int_status",
    "request_body",
    "short",
]

_SHORT = 300


class ContractViolation(AssertionError):
    """An answer that breaks the contract, whichever test happened to receive it."""


def short(value: object) -> str:
    """`value` as JSON text, cut to a length an assertion message can carry."""
    text = value if isinstance(value, str) else json.dumps(value, default=repr)
    return text if len(text) <= _SHORT else text[: _SHORT - 3] + "..."


def int_status(value: object) -> int | None:
    """A task's `status` as an int, read as the body status is (0 and "0" alike)."""
    return body_status({"status": value})


class StatusTracker:
    """The last status of every task per key: 0 may become 1 or 2, and nothing else changes."""

    # [doc] fields of a finished task; a server's own extra fields may change as they like.
    STABLE = ("jobId", "images", "meta", "failReason", "createdAt")

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], dict[str, Any]] = {}

    def clear(self) -> None:
        self._seen.clear()

    def observe(self, key: str, items: Iterable[object]) -> list[str]:
        problems: list[str] = []
        for item in items:
            if not isinstance(item, Mapping) or not isinstance(item.get("taskId"), str):
                continue
            task_id = item["taskId"]
            status = int_status(item.get("status"))
            before = self._seen.get((key, task_id))
            if before is not None:
                was = int_status(before.get("status"))
                if was is not None and was != 0 and status != was:
                    problems.append(
                        f"task {task_id} went from status {was} to {status}: "
                        "a finished task must keep its status"
                    )
                    continue
                if was is not None and was != 0:
                    for name in self.STABLE:
                        if before.get(name) != item.get(name):
                            problems.append(
                                f"task {task_id} (status {was}) changed {name}: "
                                f"{short(before.get(name))} -> {short(item.get(name))}"
                            )
            self._seen[(key, task_id)] = dict(item)
        return problems


class AnswerCheck:
    """The response hook of a target's session: records, then checks, one answer at a time.

    `layer` is the schema layer the answers are held to: "strict" (the mock's exact output) on a
    mock, "consumer" (what a client may rely on) on live.
    """

    def __init__(self, kind: str, recorder: Recorder | None, layer: str) -> None:
        self.kind = kind
        self.recorder = recorder
        self.layer = layer
        self.tracker = StatusTracker()

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        path = urlsplit(request.url or "").path
        endpoint = endpoint_of(path)
        if endpoint is None:
            return
        try:
            body: Any = response.json()
            text = None
        except ValueError:
            body, text = None, response.text
        content_type = response.headers.get("Content-Type")
        if self.recorder is not None:
            self.recorder.record(
                endpoint=endpoint,
                target=self.kind,
                method=request.method or "",
                path=path,
                http_status=response.status_code,
                content_type=content_type,
                body=body,
                text=text,
                request_body=request_body(request.body),
            )
        problems = response_problems(
            endpoint,
            response.status_code,
            content_type,
            body,
            is_json=text is None,
            layer=self.layer,
        )
        data = body.get("data") if isinstance(body, dict) else None
        if endpoint == "job-status" and response.ok and isinstance(data, list):
            key = str(request.headers.get("API-KEY", ""))
            problems += self.tracker.observe(key, data)
        if problems:
            sent = short(request_body(request.body))
            raise ContractViolation(
                "\n".join(problems) + f"\n  request: POST {path} {sent}\n  answer: "
                f"HTTP {response.status_code} {short(body if text is None else text)}"
            )


def request_body(body: object) -> Any:
    """A sent body for a record or a message: its JSON when it parses, else its text."""
    if body is None:
        return None
    raw = body if isinstance(body, bytes) else str(body).encode("utf-8", "replace")
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
