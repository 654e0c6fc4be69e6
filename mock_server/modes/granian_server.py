"""The mock as an HTTP server under granian, embedded in the mock's own process.

Why granian: waitress's own do-nothing floor is 0.29x WireMock's throughput on this kind of
request (bench/README.md), so no app behind it can reach WireMock. granian's HTTP handling is
compiled (Rust, binary wheels). It is embedded, not run as `granian --interface wsgi`: that
form adds a supervisor process (74 MB idle) and 8 Python threads fighting for the GIL, which
gave a submit p99 of 374 ms. Embedded, everything lives in this one process, so state stays in
one place with no supervisor.

How a request is served (RSGI, one asyncio loop on one thread):

- The provider's happy path (`FastPath.answer`: short, synchronous CPU work) runs on the loop
  itself: no thread hand-off, no GIL fight. It only runs there when the backend's lock is free
  at that instant: a lock held for an `advance` (whose hook receivers may call the API
  meanwhile) or a slow store write never stalls the loop; that request goes to a thread.
- Everything else (Flask: the control API, CDN, errors, faults, a latency fault's sleep) runs
  on a thread pool through `rsgi_bridge`: `/__mock/` on threads of its own, as under waitress,
  so provider load or held requests never keep the control plane waiting.
- A drop or drop-after fault resets the client's connection: the connection's socket is this
  process's, found by its two addresses, and shut down with SO_LINGER 0, as under waitress.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from granian._granian import RSGIProtocolClosed as ProtocolClosed
from granian._granian import SocketHolder
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server.embed import Server

from mock_server.config import Config
from mock_server.domain.lifecycle import MidjourneyBackend
from mock_server.errors import ApiError
from mock_server.modes.rsgi_bridge import WsgiAnswer, call_wsgi, environ_from_scope, fast_request
from mock_server.modes.server import (
    CHANNEL_TIMEOUT,
    CONNECTION_LIMIT,
    CONTROL_THREADS,
    served_mock,
    server_settings,
)
from mock_server.web import jsonenc
from mock_server.web.faults import DROP_HEADER
from mock_server.web.guard import GUARD_KEY, ControlGuard
from mock_server.web.wire import error_body
from schemas.routes import CONTROL_PREFIX

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["GranianMockServer"]

_JSON_HEADERS = [("content-type", "application/json")]
_CONTROL = CONTROL_PREFIX


class _EmbeddedServer(Server):
    """granian's embedded server on a socket bound beforehand, so the port (also `port=0`'s
    free one) is known before serving starts, as `MockServer.port` promises."""

    def __init__(self, target: Any, holder: Any, **options: Any) -> None:
        super().__init__(target, **options)
        self._holder = holder

    def _init_shared_socket(self) -> None:
        self._ssp = None
        self._shd = self._holder
        self._sfd = self._holder.get_fd()


BACKLOG = 1024
# How long the loop may wait for the backend's lock before handing the request to a thread: the
# ticker settling a batch of due tasks holds it for a few ms under load, and sending every
# request that meets it to the threads made them fight over the GIL (submit p99 over 500 ms).
# An `advance` waiting for hook receivers does not hold it; so the loop never waits longer.
LOOP_LOCK_WAIT = 0.002


def _new_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when it is installed (the `fast` extra brings it where it is built), else
    asyncio's own. Every request crosses between granian's thread and the loop twice, and
    uvloop's wake-ups are the cheaper: 1-id job-status served 20-30% more requests per second
    on it in a side run (bench/README.md)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows, or installed without the extra
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host` (a name is resolved, as waitress resolves it)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def _reset_connection(local: tuple[str, int], peer: str) -> bool:
    """Reset the TCP connection from `peer` ("host:port") to `local`, as a crashed upstream
    would: the client sees its connection drop with nothing answered. granian keeps its sockets
    to itself, but they are this process's file descriptors, so the one with these two
    addresses is found and shut down with SO_LINGER 0 (granian then closes it: an RST)."""
    peer_host, _, peer_port = peer.rpartition(":")
    wanted = (peer_host.strip("[]"), int(peer_port))
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:  # pragma: no cover - no procfs (macOS, Windows): try the low numbers
        fds = list(range(3, 4096))
    for fd in fds:
        with contextlib.suppress(OSError):  # no procfs: every descriptor is tried
            if not os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                continue
        try:
            copy = os.dup(fd)
        except OSError:
            continue
        try:
            probe = socket.socket(fileno=copy)
        except OSError:  # not a socket (or gone meanwhile): the copy must not leak
            os.close(copy)
            continue
        with probe:
            try:
                if probe.type != socket.SOCK_STREAM:
                    continue
                if probe.getpeername()[:2] != wanted or probe.getsockname()[1] != local[1]:
                    continue
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                probe.shutdown(socket.SHUT_RDWR)
                return True
            except OSError:
                continue
    return False


class GranianMockServer:
    """A backend, its Flask app and an embedded granian server on one port; `port=0` picks a
    free one. The same interface as `MockServer` (waitress)."""

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
        """`threads` serve what the loop hands off (Flask, a busy backend); the control API has
        `CONTROL_THREADS` of its own. `connection_limit` scales granian's connection cap;
        `channel_timeout` is how long a connection may take to send a request's headers.
        `serve_images` as for `MockServer`: image URLs point at this server's own `/cdn`."""
        for name in ("granian", "_granian", "granian.access"):
            logging.getLogger(name).setLevel(logging.ERROR)
        settings = server_settings(config, backend, serve_images)
        # Bound and listening now, as waitress does: a client that reads the banner and
        # connects at once queues in the backlog instead of being refused; and the settings
        # can name the port before anything is built from them.
        listening = _listen(host, port)
        self._address: tuple[str, int] = listening.getsockname()[:2]
        self._mock, self.generated_token = served_mock(
            settings, backend, host=host, url=self.url, serve_images=serve_images
        )
        self.backend = self._mock.backend
        self.config = self.backend.config
        self.app = self._mock.app
        self.fast = self._mock.wsgi
        self.wsgi_app: WSGIApplication = self.fast
        # Middleware must see every request, so with it nothing is answered on the loop.
        self._wrapped: WSGIApplication | None = None
        if wrap_app is not None:
            self._wrapped = wrap_app(self.wsgi_app)
        self._lock = self.backend.lock
        self._body_cap = max(self.config.max_body_bytes * 4, 1 << 20)
        # granian owns the descriptor from here on and closes it when it stops serving.
        self._fd = listening.detach()
        self._holder = SocketHolder(self._fd, False, BACKLOG)  # type: ignore[call-arg]
        self._server = _EmbeddedServer(
            self,
            self._holder,
            address=host,
            port=self._address[1],
            interface=Interfaces.RSGI,
            runtime_threads=1,
            http=HTTPModes.http1,
            websockets=False,
            # granian's backpressure caps connections, idle ones included: far above waitress's
            # limit, since an idle connection here holds no thread (header_read_timeout reaps
            # the silent ones), so idle sockets cannot lock a new client out.
            backpressure=max(16 * connection_limit, 4096),
            http1_settings=HTTP1Settings(header_read_timeout=channel_timeout * 1000),
            log_enabled=False,
            log_level=LogLevels.error,
        )
        self._provider = ThreadPoolExecutor(threads, thread_name_prefix="mj-mock-worker")
        self._control = ThreadPoolExecutor(CONTROL_THREADS, thread_name_prefix="mj-mock-control")
        guard: ControlGuard = self.app.extensions[GUARD_KEY]
        guard.allow_host(host)
        self._mock.deliveries.add_own_address(host, self.port)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._stopped = False

    # -- the MockServer interface ------------------------------------------------------------

    @property
    def control_token(self) -> str | None:
        return self.config.control_token

    @property
    def host(self) -> str:
        return str(self._address[0])

    @property
    def port(self) -> int:
        return int(self._address[1])

    @property
    def url(self) -> str:
        host = self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> GranianMockServer:
        """Serve from a background thread and return once the server accepts connections."""
        self._mock.start()
        self._thread = threading.Thread(target=self._run, name="mj-mock", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=10)
        return self

    def serve_forever(self) -> None:
        """Block serving requests until `stop()` or KeyboardInterrupt (SIGINT, and SIGTERM as
        `mj-mock serve` maps it, reach the main thread while it waits here)."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.2)
        finally:
            self.stop()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(self._server.signal_handler_interrupt)
            if thread is not threading.current_thread():
                thread.join(timeout=5)
        self._provider.shutdown(wait=True, cancel_futures=True)
        self._control.shutdown(wait=True, cancel_futures=True)
        if thread is None:  # never served: granian never took the socket over
            with contextlib.suppress(OSError):
                os.close(self._fd)
        # Ticker, the delivery lanes it started and (if it made it) the backend's store.
        self._mock.stop()

    def __enter__(self) -> GranianMockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving ------------------------------------------------------------------------------

    def _run(self) -> None:
        loop = _new_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.call_soon(self._ready.set)
            loop.run_until_complete(self._server.serve())
        finally:
            self._ready.set()
            loop.close()

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        """One HTTP request: read its body (within the cap), answer it on the loop if the fast
        path can, else on a thread."""
        if scope.proto != "http":  # pragma: no cover - websockets are off
            return
        try:
            body = await self._read_body(scope, proto)
        except ProtocolClosed:
            # The client hung up before its body was complete: nothing to answer, and granian
            # would send a 500 for a request left unanswered, so the connection goes instead.
            await asyncio.get_running_loop().run_in_executor(
                self._control, _reset_connection, self._address, str(scope.client)
            )
            return
        if body is None:
            self._refuse(proto, 413, "Request Entity Too Large: exceeds the server's body limit")
            return
        if scope.method != scope.method.upper():  # hyper takes "post" as a method; waitress not
            self._refuse(proto, 400, "Bad Request: malformed HTTP method")
            return
        environ: dict[str, Any] | None = None
        hand_off: WSGIApplication
        if self._wrapped is not None:
            hand_off = self._wrapped
        elif self._lock.acquire(timeout=LOOP_LOCK_WAIT):
            try:
                direct = fast_request(scope, body)
                if direct is not None:
                    answer = self.fast.answer_body(direct[0], direct[1], body)
                else:
                    environ = environ_from_scope(scope, body)
                    answer = self.fast.answer(environ)
            finally:
                self._lock.release()
            if answer is not None:
                proto.response_bytes(200, _JSON_HEADERS, answer)
                return
            hand_off = self.app  # the fast path declined: Flask serves it (body put back)
        else:
            hand_off = self.wsgi_app  # the backend is busy: wait for it on a thread
        if environ is None:
            environ = environ_from_scope(scope, body)
        path = environ["PATH_INFO"]
        pool = self._control if path == _CONTROL or path.startswith(_CONTROL + "/") else None
        loop = asyncio.get_running_loop()
        result: WsgiAnswer = await loop.run_in_executor(
            pool or self._provider, call_wsgi, hand_off, environ
        )
        if result.header(DROP_HEADER) is not None and await loop.run_in_executor(
            self._control, _reset_connection, self._address, str(scope.client)
        ):
            return
        headers = [(k, v) for k, v in result.headers if k.lower() != "content-length"]
        proto.response_bytes(result.status, headers, result.body)

    def _refuse(self, proto: Any, status: int, message: str) -> None:
        """An HTTP-level refusal in the API's JSON error shape, closing the connection."""
        payload = jsonenc.dumps(error_body(ApiError(message, status=status), self.config))
        proto.response_bytes(status, [*_JSON_HEADERS, ("connection", "close")], payload)

    async def _read_body(self, scope: Any, proto: Any) -> bytes | None:
        """The whole body, or None when it is over the cap (read no further than that)."""
        length = scope.headers.get("content-length")
        if length is not None:
            try:
                too_long = int(length) > self._body_cap
            except ValueError:  # hyper refuses such a length itself; read what came
                too_long = False
            if too_long:
                return None
            return bytes(await proto())
        chunks: list[bytes] = []
        size = 0
        async for chunk in proto:
            size += len(chunk)
            if size > self._body_cap:
                return None
            chunks.append(bytes(chunk))
        return b"".join(chunks)
