"""A real HTTP receiver for hookUrl callbacks, for tests (the `mj_hook_receiver` fixture).

It records every POST and can be told to fail the next N deliveries or to answer slowly, so a
team can prove its own receiver logic copes with retries, duplicates and a slow network.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

__all__ = ["HookReceiverServer", "ReceivedHook"]


@dataclass(frozen=True)
class ReceivedHook:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def payload(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def item(self) -> dict[str, Any] | None:
        """The task item: an envelope's `data` (the default), else the bare body, as the
        provider's example receivers read it; None when the body is not a JSON object."""
        payload = self.payload
        if not isinstance(payload, dict):
            return None
        data = payload.get("data")
        return data if isinstance(data, dict) else payload

    @property
    def task_id(self) -> str | None:
        """The task id, from the envelope's `data` or the bare item."""
        task_id = (self.item or {}).get("taskId")
        return task_id if isinstance(task_id, str) else None

    @property
    def status(self) -> int | None:
        """The *task's* status (1 or 2), not the envelope's 0; None if absent or not an int."""
        status = (self.item or {}).get("status")
        return status if isinstance(status, int) and not isinstance(status, bool) else None


class HookReceiverServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Condition()
        self._received: list[ReceivedHook] = []
        self._failures: list[int] = []
        self._delay = 0.0
        self._server = make_server(host, port, self._wsgi, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="mj-hook-receiver",
            daemon=True,
        )

    @property
    def url(self) -> str:
        """Where to point `hookUrl` (any path under it works too)."""
        return f"http://{self._server.host}:{self._server.port}/hook"

    @property
    def received(self) -> list[ReceivedHook]:
        with self._lock:
            return list(self._received)

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next `count` deliveries with `status` instead of 200."""
        with self._lock:
            self._failures.extend([status] * count)

    def answer_with(self, statuses: Iterable[int]) -> None:
        """Answer the next deliveries with these statuses, in order."""
        with self._lock:
            self._failures.extend(statuses)

    def slow_down(self, seconds: float) -> None:
        """Wait this long before answering each delivery (a slow receiver)."""
        self._delay = seconds

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedHook]:
        """Block until at least `count` deliveries arrived; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} hook deliveries, got {len(self._received)}"
                    )
                self._lock.wait(remaining)
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
            self._failures.clear()
        self._delay = 0.0

    def start(self) -> HookReceiverServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HookReceiverServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        if self._delay:
            time.sleep(self._delay)
        with self._lock:
            status = self._failures.pop(0) if self._failures else 200
            self._received.append(
                ReceivedHook(request.path, dict(request.headers.items()), body, status)
            )
            self._lock.notify_all()
        response = Response(json.dumps({"received": True}), status, mimetype="application/json")
        return response(environ, start_response)
