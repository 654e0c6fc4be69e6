"""`MidjourneyClient`: the two endpoints of midjourney-api.com, and a face for waiting on them.

Design rules, each with its reason:

- Only `requests`, so `responses`-based fakes (this project's in-process mock among them)
  intercept every call, and so the client adds no dependency an app does not already have.
- Reads are retried, writes are not. job-status is idempotent, so a 5xx, a 429, a dropped
  connection or a garbled body is retried with backoff. submit-jobs creates *and charges* a task:
  when its answer is lost the task may exist anyway, and a retry could pay for a second one. So
  a submit is retried only on 429, which says the server refused the request before doing it;
  every other failure is raised for the caller, who knows whether a duplicate is acceptable.
- Time is injected (`sleep`, `monotonic`), so tests drive a manual clock instead of sleeping.
- The paths are the contract's (`schemas.routes`), written nowhere else.

This module makes the HTTP calls; the polling loop behind `wait` / `wait_all` is `waiting.py`.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata
from typing import Any

import requests

from schemas.routes import ENDPOINT_NAMES, JOB_STATUS, SUBMIT_JOBS

from .answers import read_answer, short
from .errors import (
    AuthenticationError,
    MidjourneyError,
    RateLimitError,
    SchemaMismatch,
    TransportError,
    is_transient,
)
from .models import Task
from .retry import RetryPolicy
from .waiting import (
    DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_NOT_FOUND_GRACE,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_WAIT_TIMEOUT,
    ProgressCallback,
    WaitPlan,
    wait_for,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_IDS_PER_REQUEST",
    "MidjourneyClient",
    "__version__",
]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.midjourney-api.com"
# The server rejects a job-status request with more ids than this.
MAX_IDS_PER_REQUEST = 100
KEY_ENV_VARS = ("MJ_API_KEY", "MIDJOURNEY_API_KEY")
BASE_URL_ENV_VARS = ("MJ_BASE_URL", "MIDJOURNEY_API_BASE_URL")

try:
    __version__ = metadata.version("midjourney-api-mock")
except metadata.PackageNotFoundError:  # pragma: no cover - only when run from a bare checkout
    __version__ = "0+unknown"

Timeout = float | tuple[float, float]


def _from_env(names: Sequence[str]) -> str | None:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


class MidjourneyClient:
    """A client for midjourney-api.com (or this project's mock of it).

    `api_key` and `base_url` default to `MJ_API_KEY` / `MJ_BASE_URL`, then the provider's own
    example variables `MIDJOURNEY_API_KEY` / `MIDJOURNEY_API_BASE_URL`. `timeout` is the HTTP
    timeout per request (seconds, or `(connect, read)`); `retries` is a count or a `RetryPolicy`
    for idempotent calls; `validate=True` checks every success body against the project's JSON
    Schemas and raises `SchemaMismatch`. `sleep` and `monotonic` are the time source, replaceable
    so tests never really wait.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        session: requests.Session | None = None,
        timeout: Timeout = 30.0,
        validate: bool = False,
        retries: int | RetryPolicy = 3,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        key = (api_key or "").strip() or _from_env(KEY_ENV_VARS)
        if not key:
            # Fail here, not with a 401 later: "no key configured" is a different fix from
            # "this key is wrong".
            raise AuthenticationError(
                "no API key: pass api_key= or set MJ_API_KEY (or MIDJOURNEY_API_KEY)"
            )
        url = (base_url or "").strip() or _from_env(BASE_URL_ENV_VARS) or DEFAULT_BASE_URL
        self.api_key = key
        self.base_url = url.rstrip("/")
        self.timeout = timeout
        self.validate = validate
        self.retry_policy = RetryPolicy.coerce(retries)
        self._sleep = sleep
        self._monotonic = monotonic
        self._own_session = session is None
        self._session = session if session is not None else requests.Session()
        self._random = random.Random()
        self._headers = {
            "API-KEY": key,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": (
                f"midjourney-api-mock-client/{__version__} python-requests/{requests.__version__}"
            ),
        }

    def __repr__(self) -> str:
        # Never print a whole key: reprs end up in logs and tracebacks.
        return f"MidjourneyClient(base_url={self.base_url!r}, api_key='{self.api_key[:4]}...')"

    def __enter__(self) -> MidjourneyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session if this client created it; a caller's session stays open."""
        if self._own_session:
            self._session.close()

    # -- the two endpoints ------------------------------------------------------------------

    def submit(
        self,
        prompt: str,
        *,
        mode: str = "fast",
        hook_url: str | None = None,
        timeout: int | None = None,
    ) -> str:
        """Start a generation and return its taskId.

        `timeout` is the *task's* time limit on the server (300-1200 s), not an HTTP timeout.
        Arguments are checked by the server, not here, so the client never disagrees with it.
        Not retried except on 429 (see the module docstring): a TransportError or ServerError
        from here means the task may or may not exist.
        """
        if not isinstance(prompt, str):
            raise TypeError(f"prompt must be a str, not {type(prompt).__name__}")
        payload: dict[str, Any] = {"prompt": prompt, "mode": mode}
        if hook_url is not None:
            payload["hookUrl"] = hook_url
        if timeout is not None:
            payload["timeout"] = timeout
        body = self._call(SUBMIT_JOBS, payload, idempotent=False)
        data = body.get("data")
        task_id = data.get("taskId") if isinstance(data, Mapping) else None
        if not isinstance(task_id, str) or not task_id:
            raise SchemaMismatch(
                f"submit-jobs: success answer without data.taskId: {short(repr(body))}",
                http_status=200,
            )
        return task_id

    def status(self, task_ids: str | Iterable[str]) -> list[Task]:
        """The current state of one id or many, in the order asked.

        Ids the API does not know (or that belong to another key) are left out, as the API does;
        a repeated id is reported once. Long lists go out in batches of `MAX_IDS_PER_REQUEST`.
        """
        ids = _id_list(task_ids)
        unique = list(dict.fromkeys(ids))
        found: dict[str, Task] = {}
        for start in range(0, len(unique), MAX_IDS_PER_REQUEST):
            batch = unique[start : start + MAX_IDS_PER_REQUEST]
            body = self._call(JOB_STATUS, {"taskIds": batch}, idempotent=True)
            data = body.get("data")
            if not isinstance(data, list):
                raise SchemaMismatch(
                    f"job-status: answer has no data list: {short(repr(body))}", http_status=200
                )
            wanted = set(batch)
            for item in data:
                task = Task.from_dict(item)
                if task.task_id in wanted:
                    found[task.task_id] = task
        return [found[task_id] for task_id in unique if task_id in found]

    # -- waiting ----------------------------------------------------------------------------

    def wait(
        self,
        task_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        not_found_grace: float = DEFAULT_NOT_FOUND_GRACE,
        on_progress: ProgressCallback | None = None,
        raise_on_failure: bool = True,
    ) -> Task:
        """Poll until the task completes or fails, and return it.

        Raises TaskFailed on status 2 (unless `raise_on_failure=False`), TaskNotFound when
        job-status leaves the id out for `not_found_grace` seconds, WaitTimeout after `timeout`.
        `on_progress(task)` is called after every poll that saw the task.
        """
        if not isinstance(task_id, str):
            raise TypeError(f"task_id must be a str, not {type(task_id).__name__}")
        return self.wait_all(
            [task_id],
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            not_found_grace=not_found_grace,
            on_progress=on_progress,
            raise_on_failure=raise_on_failure,
        )[0]

    def wait_all(
        self,
        task_ids: Iterable[str],
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        not_found_grace: float = DEFAULT_NOT_FOUND_GRACE,
        on_progress: ProgressCallback | None = None,
        raise_on_failure: bool = True,
    ) -> list[Task]:
        """`wait` for many tasks with one job-status call per round; results in the order asked.

        With `raise_on_failure` the first failure seen is raised at once (the other tasks keep
        running on the server); pass False to collect every outcome instead.

        A poll that still fails after the retries of `status` is not fatal: the next round asks
        again, so an outage shorter than `timeout` costs nothing but time.
        """
        plan = WaitPlan(
            timeout,
            poll_interval,
            max_poll_interval,
            not_found_grace,
            on_progress,
            raise_on_failure,
        )
        return wait_for(
            self.status,
            _id_list(task_ids),
            plan,
            sleep=self._sleep,
            monotonic=self._monotonic,
            rand=self._random.random,
        )

    # -- HTTP -------------------------------------------------------------------------------

    def _call(self, path: str, payload: dict[str, Any], *, idempotent: bool) -> dict[str, Any]:
        endpoint = ENDPOINT_NAMES[path]
        attempt = 0
        while True:
            try:
                return self._attempt(endpoint, path, payload)
            except MidjourneyError as error:
                retryable = isinstance(error, RateLimitError) or (
                    idempotent and is_transient(error)
                )
                if not retryable or attempt >= self.retry_policy.max_retries:
                    raise
                retry_after = error.retry_after if isinstance(error, RateLimitError) else None
                delay = self.retry_policy.delay(
                    attempt, retry_after=retry_after, rand=self._random.random
                )
                log.info("%s: retrying in %.2f s after: %s", endpoint, delay, error)
                self._sleep(delay)
                attempt += 1

    def _attempt(self, endpoint: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        url = self.base_url + path
        try:
            response = self._session.post(
                url, json=payload, headers=self._headers, timeout=self.timeout
            )
        except requests.Timeout as exc:
            raise TransportError(f"{endpoint}: no answer from {self.base_url} in time") from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise TransportError(
                f"{endpoint}: connection to {self.base_url} failed: {short(str(exc))}"
            ) from exc
        except requests.RequestException as exc:
            # A bad URL or header fails the same way every time: not worth a retry.
            raise TransportError(
                f"{endpoint}: cannot send the request to {url}: {short(str(exc))}",
                transient=False,
            ) from exc
        return read_answer(endpoint, response, validate=self.validate)


def _id_list(task_ids: str | Iterable[str]) -> list[str]:
    # A bare string is one id: iterating it would ask for each of its characters.
    ids = [task_ids] if isinstance(task_ids, str) else list(task_ids)
    for task_id in ids:
        if not isinstance(task_id, str):
            raise TypeError(f"task ids must be str, not {type(task_id).__name__}")
    return ids
