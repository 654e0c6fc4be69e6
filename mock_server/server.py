"""The mock as a real HTTP server: waitress, one process, many threads.

waitress rather than gunicorn: it is pure Python, runs on every OS, and serves with threads inside
one process, so every request sees the same backend state. gunicorn's process workers would each
hold their own copy of the tasks, which a stateful mock cannot allow.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import waitress
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, MultiSocketServer
from waitress.task import ErrorTask

from .app import create_app
from .backend import MidjourneyBackend
from .config import Config
from .errors import ApiError
from .render import error_body

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["MockServer", "Ticker"]


class Ticker:
    """Applies due outcomes on wall time, so tasks finish (and hooks fire) even when nobody polls.

    A manual clock needs no ticker: its time only moves inside `advance`.
    """

    def __init__(self, backend: MidjourneyBackend, interval: float = 0.05) -> None:
        self._backend = backend
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mj-mock-ticker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._backend.settle()


def _json_error_channel(config: Config) -> type[HTTPChannel]:
    """waitress's channel, with its own refusals (a request it cannot parse, headers over its
    cap, a body over its cap) sent in the API's JSON error shape instead of plain text."""

    class JsonErrorTask(ErrorTask):  # type: ignore[misc]
        def execute(self) -> None:
            error = self.request.error
            api_error = ApiError(f"{error.reason}: {error.body}", status=error.code)
            body = json.dumps(error_body(api_error, config), separators=(",", ":")).encode()
            self.status = f"{error.code} {error.reason}"
            self.response_headers.append(("Content-Type", "application/json"))
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class JsonErrorChannel(HTTPChannel):  # type: ignore[misc]
        error_task_class = JsonErrorTask

    return JsonErrorChannel


class MockServer:
    """A backend, its Flask app and a waitress server on one port; `port=0` picks a free one."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        threads: int = 8,
        backend: MidjourneyBackend | None = None,
        wrap_app: Callable[[WSGIApplication], WSGIApplication] | None = None,
    ) -> None:
        """`wrap_app` puts WSGI middleware around the mock (logging, or a deliberately broken
        variant for testing a contract suite); the control API and state stay the mock's."""
        # The backend picks its store: `config.state_file` (SQLite) or memory.
        self._owns_backend = backend is None
        # waitress logs "Task queue depth is N" on every queued request under load: noise that
        # cost 2-3% of the server's time in bench/'s profile.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        self.backend = backend or MidjourneyBackend(config)
        self.config = self.backend.config
        self.app = create_app(backend=self.backend)
        server: Any = waitress.create_server(
            wrap_app(self.app) if wrap_app is not None else self.app,
            host=host,
            port=port,
            threads=threads,
            ident="mj-mock",
            clear_untrusted_proxy_headers=True,
            max_request_body_size=max(self.config.max_body_bytes * 4, 1 << 20),
            # Slow or stuck clients hold no worker thread, but each holds a connection: waitress
            # stops accepting at 100 by default and reaps idle ones only after 120 s.
            connection_limit=1000,
            channel_timeout=30,
            asyncore_use_poll=True,  # select() cannot watch more than 1024 sockets
        )
        if isinstance(server, MultiSocketServer):  # pragma: no cover - only with several listens
            raise ValueError("give one host, not several")
        server.channel_class = _json_error_channel(self.config)
        self._server: BaseWSGIServer = server
        self._ticker = None if self.config.clock.manual else Ticker(self.backend)
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._server.effective_host)

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        host = self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        """Block serving requests until `stop()` or KeyboardInterrupt."""
        if self._ticker is not None:
            self._ticker.start()
        try:
            self._server.run()
        finally:
            self.stop()

    def start(self) -> MockServer:
        """Serve from a background thread (tests, embedding) and return at once."""
        self._thread = threading.Thread(target=self.serve_forever, name="mj-mock", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
        if self.backend.hooks is not None:
            self.backend.hooks.close()
        server = self._server
        thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            # Close from inside the loop thread: the trigger wakes it at once instead of after
            # asyncore's one-second poll timeout.
            # OSError: the loop is already tearing down its trigger.
            with contextlib.suppress(OSError):
                server.trigger.pull_trigger(lambda: self._close_channels(server))
            thread.join(timeout=5)
        self._close_channels(server)
        if self._owns_backend:
            self.backend.close()  # releases a state file, so a new server can open it

    @staticmethod
    def _close_channels(server: BaseWSGIServer) -> None:
        # As webtest's StopableWSGIServer does: with every channel closed, asyncore's loop ends.
        while server._map:
            for channel in list(server._map.values()):
                # The listening socket's own handle_close only logs "unhandled close event".
                if channel is server:
                    channel.close()
                else:
                    channel.handle_close()
        server.task_dispatcher.shutdown()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
