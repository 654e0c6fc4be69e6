"""granian's compiled HTTP worker driven with no asyncio event loop: each request is a plain
call on granian's one Python thread, and so is the arrival of its body.

Why no loop: through granian's embedded server (`granian.server.embed`, RSGI on an asyncio
loop) every request crossed between granian's Python thread and the loop's thread four times:
a callback scheduled on the loop for the request, and another, from granian's thread again, when
its body had been read. Each crossing is a wake-up and a GIL hand-off. A do-nothing app that
reads the body cost 24-32 µs of CPU per request that way and 14-18 µs this way, and served
1.7x the requests per second (bench/README.md, "issue 15, part 4").

How: granian's futures (the body of a request) report completion to whatever object they were
given as their event loop, through `call_soon_threadsafe` (or `call_soon` when already done).
`InlineLoop` runs such a callback at once, on the thread completing the future: granian's Python
thread, which is the only thread that ever completes one (its Python pool has one thread). So
`handle(scope, proto)` is called there for every request, and a body callback follows there too.
Whatever may block (Flask, a latency fault, a busy backend) must go to a thread of its own;
`proto.response_bytes` may be called from any thread.

This drives granian's internals (`_granian.RSGIWorker`, `CallbackScheduler`, `WorkerSignal`) as
granian's own servers do. The `fast` extra pins granian to the minor version this was written
against; `tests/test_granian_worker.py` fails if their shapes change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from granian._granian import CallbackScheduler, RSGIWorker, WorkerSignal
from granian.http import HTTP1Settings

__all__ = ["GranianWorker", "InlineLoop", "read_body"]

log = logging.getLogger(__name__)

Handler = Callable[[Any, Any], None]  # (scope, proto): an RSGI HTTP scope and its protocol
# granian's own defaults for an RSGI worker (granian/server/common.py): tokio's blocking pool,
# and how long an idle Python thread lives (the pool has one thread; it never idles out).
RUNTIME_BLOCKING_THREADS = 512
PY_THREAD_IDLE_TIMEOUT = 30
# The `.pyi` granian ships describes an older signature: the worker is called by keyword.
_RSGI_WORKER: Any = RSGIWorker


class InlineLoop:
    """What granian's futures take for their event loop: a callback runs at once, on the thread
    that completed the future (granian's Python thread), in the context it was given."""

    def call_soon_threadsafe(
        self, callback: Callable[..., Any], *args: Any, context: Any = None
    ) -> None:
        try:
            if context is None:
                callback(*args)
            else:
                context.run(callback, *args)
        except Exception:  # granian ignores what a callback raises; say it instead
            log.exception("a granian future's callback failed")

    call_soon = call_soon_threadsafe


class _Scheduler(CallbackScheduler):
    """granian calls `_schedule_fn(watcher)` on its Python thread for each request; here that
    is `handle(scope, proto)` directly, where granian would schedule a coroutine on a loop."""

    def __init__(self, loop: InlineLoop, handle: Handler) -> None:
        super().__init__()

        def schedule(watcher: Any) -> None:
            try:
                handle(watcher.scope, watcher.proto)
            except Exception:  # pragma: no cover - `handle` answers its own failures
                log.exception("the request handler failed")

        self._schedule_fn = schedule

    def __new__(cls, loop: InlineLoop, handle: Handler) -> _Scheduler:
        # The Rust constructor's arguments: the loop, a callback (WSGI's; unused by RSGI) and
        # the three asyncio task hooks its coroutine driver would use (unused here).
        new: Any = CallbackScheduler.__new__
        scheduler: _Scheduler = new(cls, loop, None, None, None, None)
        return scheduler


def read_body(
    proto: Any,
    length: int | None,
    cap: int,
    done: Callable[[bytes | None], None],
    hung_up: Callable[[], None],
) -> None:
    """Read the request's body and call `done(body)`, or `done(None)` once it is over `cap`
    bytes (read no further), or `hung_up()` if the client went before the end. With a
    Content-Length the body is one read; without (chunked), chunk by chunk up to the cap."""
    if length is not None:
        if length > cap:
            done(None)
            return

        def whole(future: Any) -> None:
            if _failed(future):
                hung_up()
                return
            done(bytes(future.result()))

        proto().add_done_callback(whole)
        return
    _Chunks(proto, cap, done, hung_up).next()


def _failed(future: Any) -> bool:
    """Whether a body read failed: granian says `RSGIProtocolClosed`, the client having gone.
    Asked without raising: a raised error's traceback would hold this frame, and so the future
    and the request's protocol, in a cycle until the next collection, and granian's
    connection task (which `stop()` waits for) with them."""
    return future.exception() is not None


class _Chunks:
    """A body read chunk by chunk (each `__anext__` is a future), stopping past the cap."""

    __slots__ = ("cap", "chunks", "done", "hung_up", "proto", "size")

    def __init__(
        self,
        proto: Any,
        cap: int,
        done: Callable[[bytes | None], None],
        hung_up: Callable[[], None],
    ) -> None:
        self.proto = proto.__aiter__()
        self.cap = cap
        self.done = done
        self.hung_up = hung_up
        self.chunks: list[bytes] = []
        self.size = 0

    def next(self) -> None:
        try:
            future = self.proto.__anext__()
        except StopAsyncIteration:
            self.done(b"".join(self.chunks))
            return
        # Never complete yet: only granian's Python thread (this one) completes futures.
        future.add_done_callback(self._arrived)

    def _arrived(self, future: Any) -> None:
        if _failed(future):
            self.hung_up()
            return
        chunk = bytes(future.result())
        self.size += len(chunk)
        if self.size > self.cap:
            self.done(None)
            return
        self.chunks.append(chunk)
        self.next()


class GranianWorker:
    """granian's HTTP/1 worker on a listening socket it owns from `start()` on, calling
    `handle(scope, proto)` on its Python thread for each request."""

    def __init__(
        self,
        holder: Any,
        handle: Handler,
        *,
        backpressure: int,
        http1_settings: HTTP1Settings,
    ) -> None:
        self._loop = InlineLoop()
        self._scheduler = _Scheduler(self._loop, handle)
        self._signal = WorkerSignal()
        self._stopped = threading.Event()
        self._signal.add_cb(self._stopped.set)
        self._worker = _RSGI_WORKER(
            1,  # worker id
            (None, holder),  # (a listener to build, or a socket already listening)
            None,  # no IPC: no supervisor
            threads=1,  # tokio's
            blocking_threads=RUNTIME_BLOCKING_THREADS,
            # One Python thread, so futures complete on the thread `handle` runs on.
            py_threads=1,
            py_threads_idle_timeout=PY_THREAD_IDLE_TIMEOUT,
            backpressure=backpressure,
            http_mode="1",  # HTTP/1 only
            http1_opts=http1_settings,
            websockets_enabled=False,
        )  # no TLS, no static files, no metrics: their defaults
        self.started = False

    def start(self) -> None:
        """Serve from granian's own threads; returns at once (the socket already listens, so
        early clients wait in its backlog)."""
        self._worker.serve_async(self._scheduler, self._loop, self._signal)
        self.started = True

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop accepting, let granian finish, and wait for it; whether it finished in time."""
        if not self.started:
            return True
        self._signal.set()
        return self._stopped.wait(timeout)

    def wait(self, timeout: float) -> bool:
        """Whether the worker has stopped, waiting at most `timeout` seconds."""
        return self._stopped.wait(timeout)
