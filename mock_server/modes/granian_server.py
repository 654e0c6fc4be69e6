"""The mock as an HTTP server under granian, in the mock's own process.

Why granian: waitress's own do-nothing floor is 0.29x WireMock's throughput on this kind of
request (bench/README.md), so no app behind it can reach WireMock. granian's HTTP handling is
compiled (Rust, binary wheels). It runs inside this process, not as `granian --interface wsgi`:
that form adds a supervisor process (74 MB idle) and 8 Python threads fighting for the GIL,
which gave a submit p99 of 374 ms. Here everything lives in one process, so state stays in one
place.

How a request is served (`modes/granian_worker.py`: granian's worker, with no event loop):

- Each request, and then its body, reaches `_request`/`_answer` on granian's one Python thread.
- The provider's happy path (`FastPath.answer_body`: short, synchronous CPU work) is answered
  there: no thread hand-off, no GIL fight. Only when the backend's lock is free within
  `LOOP_LOCK_WAIT`: a lock held for an `advance` (whose hook receivers may call the API
  meanwhile) or a slow store write never stalls that thread; that request goes to a thread.
- Everything else (Flask: the control API, CDN, errors, faults, a latency fault's sleep) runs
  on a thread pool through `rsgi_bridge`, which answers from there: `/__mock/` on threads of its
  own, as under waitress, so provider load or held requests never keep the control plane waiting.
- A drop or drop-after fault resets the client's connection: the connection's socket is this
  process's, found by its two addresses, and shut down with SO_LINGER 0, as under waitress.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import struct
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from granian._granian import SocketHolder
from granian.http import HTTP1Settings

from mock_server.config import Config
from mock_server.domain.lifecycle import MidjourneyBackend
from mock_server.errors import ApiError
from mock_server.modes.granian_worker import GranianWorker, read_body
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

log = logging.getLogger(__name__)

_JSON_HEADERS = [("content-type", "application/json")]
_CONTROL = CONTROL_PREFIX


BACKLOG = 1024
# How long granian's Python thread may wait for the backend's lock before handing the request to
# a thread: the ticker settling a batch of due tasks holds it for a few ms under load, and
# sending every request that meets it to the threads made them fight over the GIL (submit p99
# over 500 ms). An `advance` waiting for hook receivers does not hold it; so no wait is longer.
LOOP_LOCK_WAIT = 0.002


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
    """A backend, its Flask app and granian's HTTP worker on one port; `port=0` picks a free
    one. The same interface as `MockServer` (waitress)."""

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
        """`threads` serve what granian's thread hands off (Flask, a busy backend); the control
        API has `CONTROL_THREADS` of its own. `connection_limit` scales granian's connection cap;
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
        # Middleware must see every request, so with it every request goes to a thread.
        self._wrapped: WSGIApplication | None = None
        if wrap_app is not None:
            self._wrapped = wrap_app(self.wsgi_app)
        self._lock = self.backend.lock
        self._body_cap = max(self.config.max_body_bytes * 4, 1 << 20)
        # granian owns the descriptor from here on and closes it when it stops serving.
        self._fd = listening.detach()
        self._holder = SocketHolder(self._fd, False, BACKLOG)  # type: ignore[call-arg]
        self._worker = GranianWorker(
            self._holder,
            self._request,
            # granian's backpressure caps connections, idle ones included: far above waitress's
            # limit, since an idle connection here holds no thread (header_read_timeout reaps
            # the silent ones), so idle sockets cannot lock a new client out.
            backpressure=max(16 * connection_limit, 4096),
            http1_settings=HTTP1Settings(header_read_timeout=channel_timeout * 1000),
        )
        self._provider = ThreadPoolExecutor(threads, thread_name_prefix="mj-mock-worker")
        self._control = ThreadPoolExecutor(CONTROL_THREADS, thread_name_prefix="mj-mock-control")
        guard: ControlGuard = self.app.extensions[GUARD_KEY]
        guard.allow_host(host)
        self._mock.deliveries.add_own_address(host, self.port)
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
        """Serve from granian's threads; returns at once, the socket already listening."""
        self._mock.start()
        self._worker.start()
        return self

    def serve_forever(self) -> None:
        """Block serving requests until `stop()` or KeyboardInterrupt (SIGINT, and SIGTERM as
        `mj-mock serve` maps it, reach the main thread while it waits here)."""
        self.start()
        try:
            while not self._worker.wait(0.2):
                pass
        finally:
            self.stop()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if not self._worker.stop(timeout=5):
            log.warning("granian did not stop within 5 s")
        self._provider.shutdown(wait=True, cancel_futures=True)
        self._control.shutdown(wait=True, cancel_futures=True)
        if not self._worker.started:  # never served: granian never took the socket over
            with contextlib.suppress(OSError):
                os.close(self._fd)
        # Ticker, the delivery lanes it started and (if it made it) the backend's store.
        self._mock.stop()

    def __enter__(self) -> GranianMockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving (on granian's Python thread, see the module's docstring) ---------------------

    def _request(self, scope: Any, proto: Any) -> None:
        """One request has come: read its body (within the cap), then `_answer` it."""
        if scope.proto != "http":  # pragma: no cover - websockets are off
            return
        try:
            length: int | None = None
            declared = scope.headers.get("content-length")
            if declared is not None:
                with contextlib.suppress(ValueError):  # hyper refuses such a length itself
                    length = int(declared)
            read_body(
                proto,
                length,
                self._body_cap,
                lambda body: self._answer(scope, proto, body),
                lambda: self._hang_up_later(scope, proto),
            )
        except Exception:
            self._fail(proto)

    def _hang_up_later(self, scope: Any, proto: Any) -> None:
        self._control.submit(self._hung_up, scope, proto)

    def _hung_up(self, scope: Any, proto: Any) -> None:
        """The client went before its body was complete: nothing to answer, and granian would
        send a 500 for a request left unanswered, so the connection goes first. The empty
        answer after it ends granian's side of the request (it logs an error for a request
        dropped unanswered)."""
        _reset_connection(self._address, str(scope.client))
        proto.response_empty(500)

    def _answer(self, scope: Any, proto: Any, body: bytes | None) -> None:
        """Answer on this thread if the fast path can, else hand the request to a thread."""
        try:
            if body is None:
                self._refuse(
                    proto, 413, "Request Entity Too Large: exceeds the server's body limit"
                )
                return
            if scope.method != scope.method.upper():  # hyper takes "post" as a method
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
            control = path == _CONTROL or path.startswith(_CONTROL + "/")
            pool = self._control if control else self._provider
            pool.submit(self._serve_on_thread, hand_off, environ, scope, proto)
        except Exception:
            self._fail(proto)

    def _serve_on_thread(
        self, app: WSGIApplication, environ: dict[str, Any], scope: Any, proto: Any
    ) -> None:
        """Run `app` on a pool's thread and answer from there (or reset, for a drop fault)."""
        try:
            result: WsgiAnswer = call_wsgi(app, environ)
            if result.header(DROP_HEADER) is not None and _reset_connection(
                self._address, str(scope.client)
            ):
                proto.response_empty(500)  # ends granian's side, as for a client gone mid-body
                return
            headers = [(k, v) for k, v in result.headers if k.lower() != "content-length"]
            proto.response_bytes(result.status, headers, result.body)
        except Exception:
            self._fail(proto)

    def _refuse(self, proto: Any, status: int, message: str) -> None:
        """An HTTP-level refusal in the API's JSON error shape, closing the connection."""
        payload = jsonenc.dumps(error_body(ApiError(message, status=status), self.config))
        proto.response_bytes(status, [*_JSON_HEADERS, ("connection", "close")], payload)

    def _fail(self, proto: Any) -> None:
        """A failure of the serving glue itself (Flask answers its own): logged, and answered
        as a 500 in the API's JSON shape rather than granian's empty one."""
        log.exception("serving a request under granian failed")
        with contextlib.suppress(Exception):
            self._refuse(proto, 500, "Internal Server Error")
