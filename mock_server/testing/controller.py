"""One Python face for the control API, whichever way the mock runs.

`MockController` speaks the `/__mock` API through a transport: a Flask test client for the
in-process mock, HTTP for a server. So a test written against `mj_mock` passes unchanged against
`mj_server`, and the in-process powers are exactly the server's, not a second implementation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import requests

from mock_server.web.control import TOKEN_HEADER
from schemas.routes import control_path

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from mock_server.domain.lifecycle import MidjourneyBackend

__all__ = ["ControlError", "MockController", "http_transport", "test_client_transport"]

Transport = Callable[[str, str, Any], tuple[int, Any]]


class ControlError(Exception):
    """The control API refused a call; carries its HTTP status and message."""

    def __init__(self, http_status: int, message: str) -> None:
        super().__init__(f"HTTP {http_status}: {message}")
        self.http_status = http_status
        self.message = message


def test_client_transport(client: FlaskClient) -> Transport:
    def call(method: str, path: str, body: Any) -> tuple[int, Any]:
        response = client.open(path, method=method, json=body)
        return response.status_code, response.get_json(silent=True)

    return call


def http_transport(
    server_url: str, *, token: str | None = None, session: requests.Session | None = None
) -> Transport:
    session = session or requests.Session()
    headers = {TOKEN_HEADER: token} if token else {}

    def call(method: str, path: str, body: Any) -> tuple[int, Any]:
        response = session.request(
            method, server_url + path, json=body, headers=headers, timeout=30
        )
        try:
            payload = response.json()
        except ValueError:
            payload = None
        return response.status_code, payload

    return call


class MockController:
    """Control of a running mock: time, outcomes, accounts, faults, and what happened."""

    PAGE = 500  # tasks per control call when listing

    def __init__(
        self,
        transport: Transport,
        *,
        base_url: str,
        api_key: str,
        backend: MidjourneyBackend | None = None,
    ) -> None:
        self._call = transport
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        # The in-process mode also exposes the backend itself, for assertions the API can't make.
        self.backend = backend

    def _request(
        self, method: str, name: str, body: Any = None, *, query: str = "", **parameters: str
    ) -> Any:
        """Call the control route `name` (a key of `schemas.routes.CONTROL`)."""
        path = control_path(name, **parameters) + (f"?{query}" if query else "")
        status, payload = self._call(method, path, body)
        if status >= 400 or payload is None:
            message = payload.get("message") if isinstance(payload, dict) else None
            raise ControlError(status, message or "the control API gave no JSON answer")
        return payload

    # -- time -----------------------------------------------------------------------------

    def now(self) -> float:
        """The mock's clock, in epoch seconds."""
        return float(self._request("GET", "clock")["now"])

    def advance(self, seconds: float) -> float:
        """Move the manual clock; tasks due by then finish, in order, and their hooks fire."""
        return float(self._request("POST", "advance", {"seconds": seconds})["now"])

    # -- tasks ----------------------------------------------------------------------------

    @property
    def tasks(self) -> list[dict[str, Any]]:
        """Every task, fetched a page at a time."""
        tasks: list[dict[str, Any]] = []
        query = f"limit={self.PAGE}"
        while True:
            page = self._request("GET", "tasks", query=query)
            tasks.extend(page["tasks"])
            if not page.get("nextCursor"):
                return tasks
            query = f"limit={self.PAGE}&cursor={page['nextCursor']}"

    def task(self, task_id: str) -> dict[str, Any]:
        task: dict[str, Any] = self._request("GET", "task", taskId=task_id)
        return task

    def complete(self, task_id: str) -> dict[str, Any]:
        task: dict[str, Any] = self._request("POST", "complete", taskId=task_id)
        return task

    def fail(self, task_id: str, reason: str = "Task failed (forced)") -> dict[str, Any]:
        task: dict[str, Any] = self._request("POST", "fail", {"reason": reason}, taskId=task_id)
        return task

    # -- accounts -------------------------------------------------------------------------

    def add_key(self, key: str, quota: int) -> dict[str, Any]:
        """Create an account, or set an existing one's quota (a top-up or a drain)."""
        account: dict[str, Any] = self._request("POST", "keys", {"key": key, "quota": quota})
        return account

    def keys(self) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = self._request("GET", "keys")["keys"]
        return keys

    def quota(self, key: str | None = None) -> int:
        wanted = key or self.api_key
        for account in self.keys():
            if account["key"] == wanted:
                return int(account["quota"])
        raise ControlError(404, f"no such key {wanted!r}")

    # -- faults ---------------------------------------------------------------------------

    def inject_fault(
        self,
        kind: str,
        *,
        status: int | None = None,
        latency: float | None = None,
        count: int | None = None,
        probability: float | None = None,
        endpoint: str = "*",
    ) -> dict[str, Any]:
        """Misbehave for the next `count` matching requests (default 1), or at random with
        `probability`: kind is "status", "latency", "drop", "drop-after" (served, then the answer
        is lost) or "malformed"."""
        spec: dict[str, Any] = {"kind": kind, "endpoint": endpoint}
        for name, value in (
            ("status", status),
            ("latency", latency),
            ("count", count),
            ("probability", probability),
        ):
            if value is not None:
                spec[name] = value
        fault: dict[str, Any] = self._request("POST", "faults", spec)
        return fault

    @property
    def faults(self) -> list[dict[str, Any]]:
        faults: list[dict[str, Any]] = self._request("GET", "faults")["faults"]
        return faults

    def clear_faults(self) -> None:
        self._request("DELETE", "faults")

    # -- hooks --------------------------------------------------------------------------

    @property
    def hooks(self) -> list[dict[str, Any]]:
        """Every delivery attempt so far, oldest first."""
        hooks: list[dict[str, Any]] = self._request("GET", "hooks")["hooks"]
        return hooks

    def redeliver(self, hook_id: str) -> dict[str, Any]:
        attempt: dict[str, Any] = self._request("POST", "redeliver", hookId=hook_id)
        return attempt

    # -- the request journal ---------------------------------------------------------------

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every API and CDN request the mock answered, oldest first (see `web.journal`)."""
        entries: list[dict[str, Any]] = self._request("GET", "requests")["requests"]
        return entries

    def request_counts(self) -> dict[str, int]:
        """How many journaled requests each endpoint got: submit-jobs, job-status, cdn, other."""
        return dict(Counter(entry["endpoint"] for entry in self.requests))

    def submitted(self) -> list[dict[str, Any]]:
        """The bodies of every journaled submit-jobs request, answered or refused."""
        return [e["body"] for e in self.requests if e["endpoint"] == "submit-jobs"]

    def assert_submitted(self, times: int | None = None, **fields: Any) -> list[dict[str, Any]]:
        """Assert a submit was sent whose body has every given field (`prompt="a fox"`,
        `mode="fast"`), exactly `times` times if given; returns the matching bodies."""
        bodies = self.submitted()
        matching = [
            b
            for b in bodies
            if isinstance(b, dict) and all(b.get(k) == v for k, v in fields.items())
        ]
        if (times is None and not matching) or (times is not None and len(matching) != times):
            wanted = ", ".join(f"{k}={v!r}" for k, v in fields.items()) or "any body"
            count = "at least once" if times is None else f"{times} time(s)"
            raise AssertionError(
                f"expected a submit with {wanted} {count}, got {len(matching)}; "
                f"submitted: {[b.get('prompt') if isinstance(b, dict) else b for b in bodies]!r}"
            )
        return matching

    # -- scenarios ------------------------------------------------------------------------

    def load_scenario(self, source: Any) -> dict[str, Any]:
        """Play a scenario (a shipped name, a file path or a document) from now on; it
        replaces the one before. Files are read here, so a server need not see them."""
        from mock_server.domain.scenario import Scenario, load_scenario, shipped_scenarios

        if isinstance(source, str) and source in shipped_scenarios():
            body: dict[str, Any] = {"name": source}
        else:
            scenario = source if isinstance(source, Scenario) else load_scenario(source)
            body = {"scenario": scenario.document}
        view: dict[str, Any] = self._request("POST", "scenario", body)
        return view

    @property
    def scenario(self) -> dict[str, Any]:
        """The loaded scenario: its tasks by submit order and its expectations, met or not."""
        view: dict[str, Any] = self._request("GET", "scenario")
        return view

    def unload_scenario(self) -> None:
        self._request("DELETE", "scenario")

    def assert_scenario_met(self) -> None:
        """AssertionError naming each expected hook delivery that did not happen as declared."""
        unmet = [e for e in self.scenario["expectations"] if not e["met"]]
        if unmet:
            raise AssertionError(
                "scenario expectations not met: "
                + "; ".join(
                    f"task {e['order']}: expected hook statuses {e['expected']}, got {e['actual']}"
                    for e in unmet
                )
            )

    # -- the rest -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget tasks, hooks, faults and the request journal; restore the configured keys."""
        self._request("POST", "reset")

    def health(self) -> dict[str, Any]:
        health: dict[str, Any] = self._request("GET", "health")
        return health
