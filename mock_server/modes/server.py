"""The mock as a real HTTP server: waitress, one process, many threads.

waitress rather than gunicorn: it is pure Python, runs on every OS, and serves with threads inside
one process, so every request sees the same backend state. gunicorn's process workers would each
hold their own copy of the tasks, which a stateful mock cannot allow.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import waitress
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.server import BaseWSGIServer, MultiSocketServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher

from mock_server.addresses import is_loopback
from mock_server.compose import Mock, build_mock
from mock_server.config import Config, ConfigError
from mock_server.domain.lifecycle import MidjourneyBackend
from mock_server.errors import ApiError
from mock_server.web.guard import GUARD_KEY, ControlGuard
from mock_server.web.wire import error_bytes
from schemas.routes import CDN_PREFIX, CONTROL_PREFIX

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "MockServer",
    "ensure_control_token",
    "served_mock",
    "server_settings",
    "stop_waitress",
]


def _json_error_channel(config: Config) -> type[HTTPChannel]:
    """waitress's channel, with its own refusals (a request it cannot parse, headers over its
    cap, a body over its cap) sent in the API's JSON error shape instead of plain text."""

    class JsonErrorTask(ErrorTask):  # type: ignore[misc]
        def execute(self) -> None:
            error = self.request.error
            api_error = ApiError(f"{error.reason}: {error.body}", status=error.code)
            body = error_bytes(api_error, config)
            self.status = f"{error.code} {error.reason}"
            self.response_headers.append(("Content-Type", "application/json"))
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class JsonErrorChannel(HTTPChannel):  # type: ignore[misc]
        error_task_class = JsonErrorTask
        parser_class = _StrictParser

    return JsonErrorChannel


class _StrictParser(HTTPRequestParser):  # type: ignore[misc]
    """waitress's parser, refusing a request that sends both Content-Length and
    Transfer-Encoding: which one frames the body is how request smuggling starts (RFC 9112
    6.1 allows a server to reject it; waitress would silently prefer chunked)."""

    def parse_header(self, header_plus: bytes) -> None:
        names = {
            line.split(b":", 1)[0].strip().lower()
            for line in header_plus.split(b"\r\n")[1:]
            if b":" in line
        }
        if b"content-length" in names and b"transfer-encoding" in names:
            raise ParsingError("Content-Length and Transfer-Encoding must not both be sent")
        super().parse_header(header_plus)


# Connections: waitress stops accepting at `connection_limit` and, by default, reaps idle ones
# only every 30 s after 120 s of silence, so 1,010 idle sockets locked everybody else out.
CONNECTION_LIMIT = 1000
CHANNEL_TIMEOUT = 30  # seconds a keep-alive connection may sit idle
CLEANUP_INTERVAL = 2  # how often idle connections are looked for
# At the limit, the longest-idle connections are closed until this many slots are free again.
EVICTION_HEADROOM = 16
CONTROL_THREADS = 2


def server_settings(
    config: Config | None, backend: MidjourneyBackend | None, serve_images: bool
) -> Config:
    """The settings a server starts from (checked before it binds its port)."""
    if serve_images and backend is not None:
        raise ValueError("serve_images needs a config to set, not a ready backend")
    return backend.config if backend is not None else (config or Config())


def served_mock(
    settings: Config,
    backend: MidjourneyBackend | None,
    *,
    host: str,
    url: str,
    serve_images: bool,
) -> tuple[Mock, bool]:
    """What a server bound at `url` serves, for waitress and granian alike: the one assembly of
    every mode (`compose.build_mock`), here with background delivery lanes, its image URLs on
    the server's own `/cdn` when `serve_images`; and whether a control token was generated."""
    if serve_images:
        settings = settings.with_overrides(image_base_url=url + CDN_PREFIX)
    generated = ensure_control_token(settings, host)
    return build_mock(settings, backend=backend, delivery="lanes"), generated


def ensure_control_token(config: Config, host: str) -> bool:
    """Give `config` a random control token if the mock is to listen beyond loopback with its
    control API on and no token; True when one was generated."""
    if not config.control_enabled or config.control_token or is_loopback(host):
        return False
    config.control_token = secrets.token_urlsafe(24)
    return True


class _Deferred:
    """The app waitress is given when it binds, set to the mock once the mock is assembled
    (waitress wraps what it is given in its proxy-header middleware, so the app is not
    swapped afterwards, only filled in)."""

    app: WSGIApplication

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.app(environ, start_response)


_CONTROL_BELOW = CONTROL_PREFIX + "/"


def _is_control(channel: HTTPChannel) -> bool:
    requests = getattr(channel, "requests", None)
    path = getattr(requests[0], "path", "") if requests else ""
    return isinstance(path, str) and (
        path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")
    )


def _evict_idle(server: BaseWSGIServer, limit: int) -> None:
    """Close the longest-idle connections (no request in progress) so `limit` is not reached:
    a new client is served instead of waiting out every idle socket's timeout."""
    channels = [c for c in server.active_channels.values() if not c.requests and not c.will_close]
    excess = len(server._map) - max(1, limit - EVICTION_HEADROOM)
    for channel in sorted(channels, key=lambda c: c.last_activity)[: max(0, excess)]:
        channel.will_close = True


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
        connection_limit: int = CONNECTION_LIMIT,
        channel_timeout: int = CHANNEL_TIMEOUT,
        serve_images: bool = False,
    ) -> None:
        """`wrap_app` puts WSGI middleware around the mock (logging, or a deliberately broken
        variant for testing a contract suite); the control API and state stay the mock's.

        [decision] Binding beyond loopback with the control API on and no control token
        generates a random token (`control_token`, printed by `mj-mock serve`) rather than
        refusing to start: `--host 0.0.0.0` in a container keeps working, and only whoever
        sees the mock's output can reset it.

        `serve_images`: image URLs point at this server's own `/cdn` (nothing intercepts the
        CDN in server mode); the port is known once bound, so the config is made with it
        rather than changed afterwards."""
        # waitress logs "Task queue depth is N" on every queued request under load: noise that
        # cost 2-3% of the server's time in bench/'s profile.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        settings = server_settings(config, backend, serve_images)
        if settings.server != "waitress":
            raise ConfigError(
                f"MockServer serves with waitress, but the config says server="
                f"{settings.server!r}: build it with mock_server.serve(config), which starts the "
                "server the config names"
            )
        # Bound first, so the settings can name the port before anything is built from them.
        deferred = _Deferred()
        server: Any = waitress.create_server(
            deferred,
            host=host,
            port=port,
            threads=threads,
            ident="mj-mock",
            clear_untrusted_proxy_headers=True,
            max_request_body_size=max(settings.max_body_bytes * 4, 1 << 20),
            # Slow or stuck clients hold no worker thread, but each holds a connection.
            connection_limit=connection_limit,
            channel_timeout=channel_timeout,
            cleanup_interval=CLEANUP_INTERVAL,
            asyncore_use_poll=True,  # select() cannot watch more than 1024 sockets
        )
        if isinstance(server, MultiSocketServer):  # pragma: no cover - only with several listens
            raise ValueError("give one host, not several")
        self._server: BaseWSGIServer = server
        self._mock, self.generated_token = served_mock(
            settings, backend, host=host, url=self.url, serve_images=serve_images
        )
        self.backend = self._mock.backend
        self.config = self.backend.config
        self.app = self._mock.app
        # The provider's happy path skips Flask (same backend, validators, renderer).
        self.wsgi_app: WSGIApplication = self._mock.wsgi
        deferred.app = wrap_app(self.wsgi_app) if wrap_app is not None else self.wsgi_app
        server.channel_class = _json_error_channel(self.config)
        self._isolate_control(server)
        self._evict_at_limit(server, connection_limit)
        guard: ControlGuard = self.app.extensions[GUARD_KEY]
        guard.allow_host(host)
        self._mock.deliveries.add_own_address(host, self.port)
        self._thread: threading.Thread | None = None

    def _isolate_control(self, server: BaseWSGIServer) -> None:
        """`/__mock/` requests run on threads of their own: eight advances waiting for hook
        deliveries, or requests held by a latency fault, never keep a job-status (or a
        `DELETE /__mock/faults`) waiting for a thread."""
        control = ThreadedTaskDispatcher()
        control.set_thread_count(CONTROL_THREADS)
        self._control_dispatcher = control
        provider_add = server.add_task

        def add_task(channel: HTTPChannel) -> None:
            if _is_control(channel):
                control.add_task(channel)
            else:
                provider_add(channel)

        server.add_task = add_task

    @staticmethod
    def _evict_at_limit(server: BaseWSGIServer, limit: int) -> None:
        accepting_check = server.readable

        def readable() -> bool:
            if server.accepting and len(server._map) >= limit:
                _evict_idle(server, limit)
            return bool(accepting_check())

        server.readable = readable

    @property
    def control_token(self) -> str | None:
        return self.config.control_token

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
        self._mock.start()
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
        server = self._server
        # Let the requests being served finish before their sockets close: closing first made a
        # task still writing its answer log a traceback (EBADF) at every stop under load.
        server.task_dispatcher.shutdown()
        self._control_dispatcher.shutdown()
        thread, self._thread = self._thread, None
        stop_waitress(server, thread)
        self._control_dispatcher.shutdown()
        # The ticker, the delivery lanes, and the backend if it is ours (its state file's lock).
        self._mock.stop()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stop_waitress(server: BaseWSGIServer, thread: threading.Thread | None) -> None:
    """Stop a waitress server served by `thread` (the mock's, or the recording proxy's): close
    from inside its loop thread, where the trigger wakes it at once instead of after asyncore's
    one-second poll timeout, then close whatever is left and stop its worker threads."""
    if thread is not None and thread.is_alive() and thread is not threading.current_thread():
        with contextlib.suppress(OSError):  # the loop is already tearing down its trigger
            server.trigger.pull_trigger(lambda: _close_channels(server))
        thread.join(timeout=5)
    _close_channels(server)


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
