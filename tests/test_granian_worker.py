"""granian's worker driven with no event loop (`modes/granian_worker.py`): the glue itself, on a
bare handler, and what the mock's server does with it when something goes wrong. These break
first if granian's internals change shape (the `fast` extra pins its minor version)."""

from __future__ import annotations

import contextvars
import http.client
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from mock_server import Config, ManualClock
from schemas.routes import JOB_STATUS, SUBMIT_JOBS

pytest.importorskip("granian")

from granian._granian import SocketHolder
from granian.http import HTTP1Settings

from mock_server.modes.granian_server import GranianMockServer
from mock_server.modes.granian_worker import GranianWorker, InlineLoop, read_body

KEY = "worker-key"
CAP = 1000


class EchoHandler:
    """Answers each request with its body's length (or 413 over `CAP`), and notes the thread
    each request and each body arrived on."""

    def __init__(self) -> None:
        self.request_threads: list[int] = []
        self.body_threads: list[int] = []
        self.hung_up = threading.Event()

    def __call__(self, scope: Any, proto: Any) -> None:
        self.request_threads.append(threading.get_ident())
        declared = scope.headers.get("content-length")
        read_body(
            proto,
            None if declared is None else int(declared),
            CAP,
            lambda body: self._answer(proto, body),
            self.hung_up.set,
        )

    def _answer(self, proto: Any, body: bytes | None) -> None:
        self.body_threads.append(threading.get_ident())
        if body is None:
            proto.response_bytes(413, [("content-type", "text/plain")], b"too big")
        else:
            proto.response_bytes(200, [("content-type", "text/plain")], str(len(body)).encode())


@pytest.fixture
def echo() -> Iterator[tuple[EchoHandler, int]]:
    listening = socket.create_server(("127.0.0.1", 0), backlog=64)
    port = listening.getsockname()[1]
    handler = EchoHandler()
    holder = SocketHolder(listening.detach(), False, 64)  # type: ignore[call-arg]
    worker = GranianWorker(holder, handler, backpressure=64, http1_settings=HTTP1Settings())
    worker.start()
    try:
        yield handler, port
    finally:
        assert worker.stop(timeout=5)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


def test_the_body_arrives_whole_on_the_thread_the_request_came_on(
    echo: tuple[EchoHandler, int],
) -> None:
    handler, port = echo
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for size in (0, 1, 999):
        conn.request("POST", "/", body=b"x" * size)
        answer = conn.getresponse()
        assert (answer.status, answer.read()) == (200, str(size).encode())
    conn.close()
    # One Python thread for everything granian calls: no hand-off between request and body.
    assert len(set(handler.request_threads + handler.body_threads)) == 1
    assert handler.request_threads[0] != threading.get_ident()


def test_a_chunked_body_is_gathered_across_its_chunks(echo: tuple[EchoHandler, int]) -> None:
    _, port = echo
    chunks = b"".join(b"%x\r\n%s\r\n" % (n, b"y" * n) for n in (10, 200, 3, 400))
    reply = _raw(
        port,
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + chunks
        + b"0\r\n\r\n",
    )
    assert reply.startswith(b"HTTP/1.1 200")
    assert reply.endswith(b"\r\n\r\n613")


@pytest.mark.parametrize(
    "head",
    [
        # Chunked, no terminating chunk: the answer comes from the cap, not the body's end.
        b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n" % (CAP + 1, b"z" * (CAP + 1)),
        # A declared length past the cap: refused before any of the body is read.
        b"Content-Length: 5000\r\n\r\n",
    ],
    ids=["chunked", "declared"],
)
def test_a_body_past_the_cap_is_refused_without_reading_on(
    echo: tuple[EchoHandler, int], head: bytes
) -> None:
    _, port = echo
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n" + head)
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 413")


def test_a_client_gone_mid_body_is_reported(echo: tuple[EchoHandler, int]) -> None:
    handler, port = echo
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\nonly this")
    assert handler.hung_up.wait(5)


def test_the_inline_loop_runs_a_callback_at_once_in_its_context() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="outside")
    context = contextvars.copy_context()
    context.run(var.set, "inside")
    seen: list[tuple[int, str]] = []
    InlineLoop().call_soon_threadsafe(lambda n: seen.append((n, var.get())), 1, context=context)
    InlineLoop().call_soon(lambda n: seen.append((n, var.get())), 2)
    assert seen == [(1, "inside"), (2, "outside")]


def test_the_inline_loop_logs_a_failing_callback(caplog: pytest.LogCaptureFixture) -> None:
    def fails() -> None:
        raise RuntimeError("boom")

    InlineLoop().call_soon_threadsafe(fails)  # must not raise into granian
    assert "boom" in caplog.text


def _mock() -> GranianMockServer:
    config = Config(api_keys={KEY: 1000}, clock=ManualClock(start=1_766_900_000.0))
    return GranianMockServer(config, port=0)


@pytest.mark.parametrize("path", [JOB_STATUS, SUBMIT_JOBS])
def test_a_failure_of_the_serving_glue_is_a_500_in_the_api_shape(
    path: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with _mock() as server:

        def broken(*args: Any) -> bytes:
            raise RuntimeError("the fast path broke")

        monkeypatch.setattr(server.fast, "answer_body", broken)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request(
            "POST",
            path,
            body=json.dumps({"taskIds": ["x"]} if path == JOB_STATUS else {"prompt": "a cat"}),
            headers={"API-KEY": KEY, "Content-Type": "application/json"},
        )
        answer = conn.getresponse()
        body = json.loads(answer.read())
        conn.close()
    assert answer.status == 500
    assert body["status"] == 500
    assert "the fast path broke" in caplog.text


def test_stopping_twice_and_stopping_unstarted_are_harmless() -> None:
    server = _mock()
    port = server.port
    server.stop()  # never started: the socket it bound is closed all the same
    server.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
