"""`mj-mock serve --replay DIR`: answer a client as a recorded provider once did.

For demos and regression tests of a client against what the real service said: the records of
`mj-mock proxy --record DIR` (or of a contract-suite run) are played back on the mock's clock.
The Nth submit gets the Nth recorded submit answer (HTTP status and body, task id included);
job-status answers each replayed task with the item the recording showed at the same time
after its submit (statuses over time, image URLs and all), in the envelope and the item order
(request order, or reversed) the recorded job-status answers had. Ids the recording saw reported
without a submit (unknown ids a provider reports) are answered as recorded, after the others;
any other id is left out. Hooks are not replayed. Everything else (the control API,
the clock, `/cdn`) stays the mock's, and a reset starts the replay over.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mock_server.domain.clock import Clock
from schemas.recording import load_records
from schemas.routes import JOB_STATUS, SUBMIT_JOBS

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["Replay", "load_replay"]


@dataclass(frozen=True)
class _Answer:
    http_status: int
    content_type: str | None
    body: bytes


@dataclass
class _Timeline:
    """One recorded task: the items job-status showed, by seconds after its submit."""

    submitted_at: float
    items: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def at(self, elapsed: float) -> dict[str, Any] | None:
        shown = None
        for offset, item in self.items:
            if offset > elapsed:
                break
            shown = item
        return shown


def _encoded(record: Mapping[str, Any]) -> bytes:
    if record.get("is_json", True):
        return json.dumps(record.get("body"), ensure_ascii=False).encode("utf-8")
    return str(record.get("text") or "").encode("utf-8")


def _error(status: int, message: str) -> _Answer:
    body = json.dumps({"status": status, "message": message, "data": None}).encode()
    return _Answer(status, "application/json", body)


class Replay:
    """The recorded answers and the state of one playback; thread-safe."""

    def __init__(self, records: Iterable[Mapping[str, Any]], clock: Clock, time_scale: float):
        self._clock = clock
        self._scale = time_scale
        self._lock = threading.Lock()
        self._submits: list[tuple[_Answer, str | None]] = []
        self._timelines: dict[str, _Timeline] = {}
        self._reported: dict[str, dict[str, Any]] = {}  # ids reported without a submit
        self._envelope: dict[str, Any] = {}
        self._started: dict[str, float] = {}
        self._next = 0
        self._reverse = False
        for record in records:
            self._take(record)

    def _take(self, record: Mapping[str, Any]) -> None:
        endpoint = record.get("endpoint")
        status = int(record.get("http_status", 0))
        at = float(record.get("recorded_at", 0)) / 1000
        body = record.get("body")
        if endpoint == "submit-jobs":
            task_id = None
            if 200 <= status < 300 and isinstance(body, Mapping):
                data = body.get("data")
                if isinstance(data, Mapping) and isinstance(data.get("taskId"), str):
                    task_id = data["taskId"]
                    self._timelines.setdefault(task_id, _Timeline(at))
            answer = _Answer(status, record.get("content_type"), _encoded(record))
            self._submits.append((answer, task_id))
            return
        if endpoint != "job-status" or status != 200 or not isinstance(body, Mapping):
            return
        items = body.get("data")
        if not isinstance(items, list):
            return
        self._envelope = {k: v for k, v in body.items() if k != "data"}
        asked = record.get("request_body")
        asked_ids = asked.get("taskIds") if isinstance(asked, Mapping) else None
        if isinstance(asked_ids, list):
            self._learn_order(asked_ids, items)
        for item in items:
            if not isinstance(item, Mapping) or not isinstance(item.get("taskId"), str):
                continue
            timeline = self._timelines.get(item["taskId"])
            if timeline is None:
                self._reported[item["taskId"]] = dict(item)
            else:
                timeline.items.append((at - timeline.submitted_at, dict(item)))

    def _learn_order(self, asked: list[Any], items: list[Any]) -> None:
        """Whether the provider answered submitted tasks in request order or reversed."""
        answered = [
            i["taskId"]
            for i in items
            if isinstance(i, Mapping) and i.get("taskId") in self._timelines
        ]
        in_asked = [i for i in dict.fromkeys(asked) if i in answered]
        if len(in_asked) >= 2 and answered != in_asked:
            self._reverse = answered == in_asked[::-1]

    @property
    def submits(self) -> int:
        return len(self._submits)

    def reset(self) -> None:
        with self._lock:
            self._next = 0
            self._started.clear()

    def submit(self) -> _Answer:
        with self._lock:
            if self._next >= len(self._submits):
                return _error(
                    409, f"replay: the recording holds {len(self._submits)} submits, all replayed"
                )
            answer, task_id = self._submits[self._next]
            self._next += 1
            if task_id is not None:
                self._started[task_id] = self._clock.now()
            return answer

    def job_status(self, task_ids: list[str]) -> _Answer:
        now = self._clock.now()
        items: list[dict[str, Any]] = []
        reported: list[dict[str, Any]] = []
        with self._lock:
            for task_id in dict.fromkeys(task_ids):
                started = self._started.get(task_id)
                if started is not None:
                    timeline = self._timelines[task_id]
                    item = timeline.at((now - started) * self._scale)
                    items.append(item if item is not None else {"taskId": task_id, "status": 0})
                elif task_id in self._reported:
                    reported.append(self._reported[task_id])
            if self._reverse:
                items.reverse()
            body = {**self._envelope, "data": items + reported}
        return _Answer(200, "application/json", json.dumps(body, ensure_ascii=False).encode())

    def wrap(self, app: WSGIApplication) -> WSGIApplication:
        """WSGI middleware: the two provider routes from the recording, the rest the mock's."""

        def middleware(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "")
            if path not in (SUBMIT_JOBS, JOB_STATUS):
                return app(environ, start_response)
            answer = self._answer(environ, path)
            headers = [("Content-Length", str(len(answer.body)))]
            if answer.content_type:
                headers.append(("Content-Type", answer.content_type))
            start_response(f"{answer.http_status} {_phrase(answer.http_status)}", headers)
            return [answer.body]

        return middleware

    def _answer(self, environ: WSGIEnvironment, path: str) -> _Answer:
        if environ.get("REQUEST_METHOD") != "POST":
            return _error(405, f"method {environ.get('REQUEST_METHOD')} not allowed")
        if not environ.get("HTTP_API_KEY"):
            return _error(401, "missing API-KEY header")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw)
        except ValueError:
            return _error(400, "the body is not valid JSON")
        if path == SUBMIT_JOBS:
            return self.submit()
        ids = body.get("taskIds") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return _error(400, "taskIds: must be a list of task ids")
        return self.job_status(ids)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def load_replay(directory: str | Path, clock: Clock, time_scale: float) -> Replay:
    """A replay of the records in `directory`; ValueError when it holds none."""
    records = [data for _, data in load_records(Path(directory))]
    replay = Replay(records, clock, time_scale)
    if replay.submits == 0:
        raise ValueError(f"no recorded submit-jobs answers in {directory}")
    return replay
