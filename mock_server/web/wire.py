"""Every wire shape, rendered in one place: provider answers, hook payloads, control views, errors.

The one module that turns records into the JSON shapes `schemas/` describes, shared by the
provider endpoints, the fast path, hook delivery, the control API, the dashboard and the
server's own refusals (waitress's parse errors), so each shape is produced in one way only.
No Flask here: `web.bodies` wraps these dicts in responses.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson

from mock_server.config import Config
from mock_server.errors import ApiError
from mock_server.records import Account, Fault, HookAttempt, RequestRecord, Task, TaskStatus
from mock_server.web import jsonenc
from mock_server.web.images import GRID_NAME, IMAGE_NAMES

if TYPE_CHECKING:
    from mock_server.domain.lifecycle import MidjourneyBackend
    from mock_server.domain.scenario import ScenarioPlayer

__all__ = [
    "ITEM_CACHE_SIZE",
    "MAX_MESSAGE_CHARS",
    "RESET_VIEW",
    "ItemCache",
    "clock_view",
    "epoch_millis",
    "error_body",
    "error_bytes",
    "fault_view",
    "faults_view",
    "grid_url",
    "health_view",
    "hook_attempt_view",
    "hook_payload",
    "image_urls",
    "item_cache_key",
    "job_status_body",
    "key_view",
    "listing_view",
    "requests_view",
    "scenario_view",
    "status_code",
    "submit_success_body",
    "task_item",
    "task_view",
    "unknown_item",
]


def status_code(code: int, config: Config) -> int | str:
    """An *envelope* code: integer by default, the quickstart's `"0"` with `status_as_string`.

    Only envelope codes (submit answers, errors, the job-status and hook envelopes) switch:
    every documented sample shows task statuses as integers, so `task_item` never calls this.
    `int(code)` first, because `str()` of an IntEnum member is `"TaskStatus.COMPLETED"` on
    Python 3.10 and `"1"` from 3.11 on.
    """
    number = int(code)
    return str(number) if config.status_as_string else number


def epoch_millis(epoch_seconds: float) -> int:
    """[doc] Times on the wire are epoch milliseconds; the clock keeps epoch seconds."""
    return int(epoch_seconds * 1000)


def image_urls(task: Task, config: Config) -> list[str]:
    return [f"{config.image_base_url}/{task.job_id}/{name}" for name in IMAGE_NAMES]


def grid_url(task: Task, config: Config) -> str:
    """[doc: the Python guide reads `image`] [decision: it is the 2x2 grid] One URL."""
    return f"{config.image_base_url}/{task.job_id}/{GRID_NAME}"


def task_item(task: Task, config: Config) -> dict[str, Any]:
    """[doc] One job-status item: the fields of the sample, plus `image` on a completed task.

    The status is always an integer, whatever `status_as_string` says (see `status_code`).
    """
    item: dict[str, Any] = {"taskId": task.task_id, "status": int(task.status)}
    if task.status == TaskStatus.COMPLETED:
        item.update(
            jobId=task.job_id,
            image=grid_url(task, config),
            images=image_urls(task, config),
            prompt=task.prompt,
            mjPrompt=task.mj_prompt,
            createdAt=epoch_millis(task.created_at),
            meta={"width": task.width, "height": task.height},
        )
        for name, value in config.extra_item_fields.items():
            item.setdefault(name, _filled(value, task, config))
    elif task.status == TaskStatus.FAILED:
        item.update(createdAt=epoch_millis(task.created_at), failReason=task.fail_reason)
    return item


def _filled(value: Any, task: Task, config: Config) -> Any:
    """An `extra_item_fields` value, with {jobId}, {taskId} and {image_base_url} filled in."""
    if not isinstance(value, str):
        return value
    for name, text in (
        ("{jobId}", task.job_id or ""),
        ("{taskId}", task.task_id),
        ("{image_base_url}", config.image_base_url),
    ):
        value = value.replace(name, text)
    return value


def submit_success_body(task: Task, config: Config) -> dict[str, Any]:
    """[doc] status and taskId; `message` [doc: the reference page] unless `submit_message`
    is off (the features page shows the answer without it)."""
    body: dict[str, Any] = {"status": status_code(0, config), "message": "success"}
    if not config.submit_message:
        del body["message"]
    body["data"] = {"taskId": task.task_id}
    return body


def unknown_item(task_id: str, config: Config) -> dict[str, Any]:
    """[decision] `unknown_ids = "report"`: an id with no task of this key, as a failed item."""
    return {
        "taskId": task_id,
        "status": status_code(int(TaskStatus.FAILED), config),
        "createdAt": epoch_millis(config.clock.now()),
        "failReason": config.unknown_id_reason,
    }


# Finished tasks' encoded items kept at most: about 0.85 kB each, so 17 MB at most, whatever the
# store holds (one per task would add 85 MB at 100k tasks). A poll asks for recent tasks.
ITEM_CACHE_SIZE = 20_000


class ItemCache:
    """Finished tasks' job-status items, encoded once: a finished task never changes, and at
    100 ids rendering and encoding were a quarter of the server's time.

    Each entry is an `orjson.Fragment` that only `jsonenc.dumps` may encode, kept with the task
    it was made from and the config it depends on (`item_cache_key`), so a task that expired
    and was replaced, or a changed image base URL, renders again. Bounded: past `size` entries
    the oldest go. A reset clears it (the owner registers `clear` with the backend)."""

    def __init__(self, size: int = ITEM_CACHE_SIZE) -> None:
        self._size = max(size, 1)
        self._items: dict[str, tuple[Task, tuple[object, ...], Any]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def item(self, task: Task, config: Config, key: tuple[object, ...]) -> Any:
        """`task_item(task, config)` for the wire, from the cache when it can be."""
        if not task.finished:
            return task_item(task, config)
        entry = self._items.get(task.task_id)
        if entry is not None and entry[1] == key and (entry[0] is task or entry[0] == task):
            return entry[2]
        item = task_item(task, config)
        try:
            encoded = orjson.dumps(item)
        except TypeError:  # nothing orjson can encode alone: never cached, encoded each time
            return item
        # orjson's bytes keep its whole 4 kB output buffer; an exact-size copy holds 0.65 kB.
        fragment = jsonenc.Fragment(memoryview(encoded).tobytes())
        with self._lock:
            self._items.pop(task.task_id, None)
            while len(self._items) >= self._size:
                del self._items[next(iter(self._items))]
            self._items[task.task_id] = (task, key, fragment)
        return fragment

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def item_cache_key(config: Config) -> tuple[object, ...]:
    """What a finished task's item depends on besides the task: the image base URL and the
    extra item fields (both may be changed on a running mock)."""
    return (config.image_base_url, tuple(config.extra_item_fields.items()))


def job_status_body(
    tasks: list[Task],
    config: Config,
    asked: Sequence[object] = (),
    *,
    cache: ItemCache | None = None,
) -> dict[str, Any]:
    """[doc] `{"data": [...]}`; [decision] the full envelope with `job_status_envelope`; the
    ids in `asked` without a task reported too with `unknown_ids = "report"`.

    With a `cache`, finished tasks' items are its encoded fragments: the body is then only for
    `jsonenc.dumps` (the provider endpoint's answer), not for inspection."""
    if cache is not None:
        key = item_cache_key(config)
        items = [cache.item(task, config, key) for task in tasks]
    else:
        items = [task_item(task, config) for task in tasks]
    if config.unknown_ids == "report":
        found = dict(zip((task.task_id for task in tasks), items, strict=True))
        items = [
            found[task_id] if task_id in found else unknown_item(task_id, config)
            for task_id in dict.fromkeys(i for i in asked if isinstance(i, str))
        ]
    if config.job_status_envelope:
        return {"status": status_code(0, config), "message": "success", "data": items}
    return {"data": items}


def hook_payload(task: Task, config: Config) -> dict[str, Any]:
    """[doc] The Python guide's envelope `{"status": 0, "data": item}`, with no `message`
    because the guide shows none; [decision] the bare item with `hooks.envelope = false`."""
    item = task_item(task, config)
    if config.hooks.envelope:
        return {"status": status_code(0, config), "data": item}
    return item


# Messages can quote what the client sent (a path, an id); a 100 kB id must not come back whole.
MAX_MESSAGE_CHARS = 1000


def error_body(error: ApiError, config: Config) -> dict[str, Any]:
    """Status and message; `"data": null` unless `error_data` is off [decision]. Every refusal
    of the mock (Flask's, the fast path's, waitress's) is this body."""
    message = error.message
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 3] + "..."
    body: dict[str, Any] = {
        "status": status_code(error.body_status, config),
        "message": message,
        "data": None,
    }
    if not config.error_data:
        del body["data"]
    return body


def error_bytes(error: ApiError, config: Config) -> bytes:
    """`error_body`, encoded (for a transport that writes bytes itself, as waitress's does)."""
    return jsonenc.dumps(error_body(error, config))


# -- the control API's views ----------------------------------------------------------------


def _millis(seconds: float | None) -> int | None:
    return None if seconds is None else epoch_millis(seconds)


RESET_VIEW: dict[str, Any] = {"reset": True}
"""`control_reset`."""


def health_view(backend: MidjourneyBackend, version: str) -> dict[str, Any]:
    """`control_health`: the mock answers, and what it is."""
    return {
        "status": "ok",
        "version": version,
        "tasks": backend.task_count(),
        "clock": "manual" if backend.clock.manual else "real",
        "seed": backend.config.seed,
    }


def listing_view(name: str, views: list[Any], next_cursor: str | None) -> dict[str, Any]:
    """A control listing (tasks, keys, hooks): one page of `views` under `name`, and where the
    next page starts (None on the last)."""
    return {name: views, "nextCursor": next_cursor}


def requests_view(entries: Sequence[RequestRecord]) -> dict[str, Any]:
    """`control_requests`: the request journal, oldest first."""
    return {"requests": list(entries)}


def faults_view(faults: Sequence[Fault]) -> dict[str, Any]:
    """`control_faults`: every installed fault."""
    return {"faults": [fault_view(fault) for fault in faults]}


def task_view(task: Task, backend: MidjourneyBackend) -> dict[str, Any]:
    """`control_task`: every field of a task, and its job-status item."""
    return {
        "taskId": task.task_id,
        "apiKey": task.api_key,
        "status": int(task.status),
        "mode": task.mode,
        "prompt": task.prompt,
        "mjPrompt": task.mj_prompt,
        "hookUrl": task.hook_url,
        "timeout": task.timeout,
        "cost": task.cost,
        "createdAt": _millis(task.created_at),
        "dueAt": _millis(task.due_at),
        "finishedAt": _millis(task.finished_at),
        "plannedStatus": int(task.planned_status),
        "failReason": task.fail_reason,
        "jobId": task.job_id,
        "width": task.width,
        "height": task.height,
        "refunded": task.refunded,
        "item": task_item(task, backend.config),
    }


def key_view(account: Account, backend: MidjourneyBackend) -> dict[str, Any]:
    return {
        "key": account.key,
        "quota": account.balance,
        "charged": account.charged,
        "refunded": account.refunded,
        "inProgress": backend.in_progress_count(account.key),
    }


def clock_view(backend: MidjourneyBackend) -> dict[str, Any]:
    now = backend.clock.now()
    return {
        "now": now,
        "nowMillis": epoch_millis(now),
        "manual": backend.clock.manual,
        "timeScale": backend.config.time_scale,
    }


def hook_attempt_view(attempt: HookAttempt) -> dict[str, Any]:
    """One row of `GET /__mock/hooks` (`hook_attempts`)."""
    return {
        "id": attempt.hook_id,
        "taskId": attempt.task_id,
        "url": attempt.url,
        "attempt": attempt.attempt,
        "payload": attempt.payload,
        "scheduledAt": epoch_millis(attempt.scheduled_at),
        "sentAt": _millis(attempt.sent_at),
        "responseStatus": attempt.response_status,
        "error": attempt.error,
        "durationMs": attempt.duration_ms,
        "outcome": attempt.outcome,
    }


def fault_view(fault: Fault) -> dict[str, Any]:
    """One installed fault (`control_fault`)."""
    view: dict[str, Any] = {"id": fault.fault_id, "kind": fault.kind}
    if fault.status is not None:
        view["status"] = fault.status
    if fault.latency is not None:
        view["latency"] = fault.latency
    view.update(
        remaining=fault.remaining,
        probability=fault.probability,
        endpoint=fault.endpoint,
        hits=fault.hits,
    )
    return view


def scenario_view(player: ScenarioPlayer, attempts: Sequence[HookAttempt]) -> dict[str, Any]:
    """The `control_scenario` answer: what plays, which tasks took which rule, and the
    expected hook deliveries beside the journal's `attempts`."""
    scenario, submitted, started = player.snapshot()
    expectations = []
    for expected in scenario.expected_hooks if scenario is not None else []:
        order = int(expected["order"])
        task_id = submitted[order - 1][0] if order <= len(submitted) else None
        actual = [
            a.response_status for a in attempts if a.task_id == task_id and a.outcome != "pending"
        ]
        wanted = list(expected["statuses"])
        expectations.append(
            {"order": order, "expected": wanted, "actual": actual, "met": actual == wanted}
        )
    return {
        "name": None if scenario is None else scenario.name,
        "startedAt": _millis(started),
        "tasks": [
            {"order": n, "taskId": task_id, "rule": rule}
            for n, (task_id, _key, rule) in enumerate(submitted, start=1)
        ],
        "expectations": expectations,
    }
