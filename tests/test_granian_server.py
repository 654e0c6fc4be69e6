"""The mock under granian (`--server granian`): the behaviours that differ in how they are done
from waitress, tested on granian directly so the default suite covers them too. The rest of the
server tests run on granian with `pytest --server granian`."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from mock_server import Config, ManualClock
from schemas.routes import JOB_STATUS, SUBMIT_JOBS, control_path

pytest.importorskip("granian")

from mock_server.modes.granian_server import GranianMockServer

KEY = "granian-key"


def _config(**changes: Any) -> Config:
    return Config(api_keys={KEY: 1000}, clock=ManualClock(start=1_766_900_000.0), **changes)


@pytest.fixture
def server() -> Iterator[GranianMockServer]:
    with GranianMockServer(_config(), port=0) as running:
        yield running


def _post(server: GranianMockServer, path: str, body: Any, **kwargs: Any) -> requests.Response:
    headers = {"API-KEY": KEY, **kwargs.pop("headers", {})}
    return requests.post(server.url + path, json=body, headers=headers, timeout=10, **kwargs)


def _submit(server: GranianMockServer, **extra: Any) -> str:
    answer = _post(server, SUBMIT_JOBS, {"prompt": "a cat", **extra})
    assert answer.status_code == 200, answer.text
    task_id: str = answer.json()["data"]["taskId"]
    return task_id


class CallingBackReceiver:
    """A hook receiver that, on each delivery, calls the mock's job-status and control API
    before it answers: what a real receiver does, and what stalls a single-threaded server
    while `advance` waits for the delivery."""

    def __init__(self, mock: GranianMockServer) -> None:
        self.mock = mock
        self.answers: list[tuple[int, Any]] = []
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}/hook"

    def _wsgi(self, environ: Any, start_response: Any) -> Any:
        hook = json.loads(Request(environ).get_data())
        task_id = hook.get("data", hook).get("taskId") or hook.get("taskId")
        status = _post(self.mock, JOB_STATUS, {"taskIds": [task_id]})
        self.answers.append((status.status_code, status.json()))
        listing = requests.get(self.mock.url + control_path("tasks"), timeout=5)
        self.answers.append((listing.status_code, None))
        return Response("ok")(environ, start_response)

    def __enter__(self) -> CallingBackReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()


def test_a_hook_receiver_calling_the_api_during_advance_does_not_stall(
    server: GranianMockServer,
) -> None:
    with CallingBackReceiver(server) as receiver:
        ids = [_submit(server, hookUrl=receiver.url) for _ in range(3)]
        started = time.monotonic()
        advanced = requests.post(
            server.url + control_path("advance"), json={"seconds": 600}, timeout=30
        )
        took = time.monotonic() - started
    assert advanced.status_code == 200, advanced.text
    assert took < 10, f"advance took {took:.1f} s"
    # Each receiver saw its own task finished, answered while the advance was waiting for it.
    statuses = [body for code, body in receiver.answers if body is not None]
    assert [code for code, _ in receiver.answers] == [200] * 6
    seen = {item["taskId"]: item["status"] for body in statuses for item in body["data"]}
    assert set(seen) == set(ids)
    assert all(status in (1, 2) for status in seen.values())


def test_provider_requests_are_answered_while_advance_waits_for_a_receiver(
    server: GranianMockServer,
) -> None:
    """The loop never waits on the backend lock: while a delivery holds `advance`, a client
    polling job-status is still answered at once."""
    release = threading.Event()

    def slow_hook(environ: Any, start_response: Any) -> Any:
        release.wait(10)
        return Response("ok")(environ, start_response)

    receiver = make_server("127.0.0.1", 0, slow_hook, threaded=True)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        hooked = _submit(server, hookUrl=f"http://127.0.0.1:{receiver.port}/hook")
        with ThreadPoolExecutor(1) as pool:
            advancing = pool.submit(
                requests.post,
                server.url + control_path("advance"),
                json={"seconds": 600},
                timeout=30,
            )
            time.sleep(0.3)  # let the advance reach the delivery it must wait for
            assert not advancing.done()
            started = time.monotonic()
            polled = _post(server, JOB_STATUS, {"taskIds": [hooked]})
            took = time.monotonic() - started
            release.set()
            assert advancing.result().status_code == 200
    finally:
        release.set()
        receiver.shutdown()
    assert polled.status_code == 200 and polled.json()["data"][0]["status"] in (1, 2)
    assert took < 2


@pytest.mark.parametrize("kind", ["drop", "drop-after"])
def test_a_drop_fault_resets_the_connection(server: GranianMockServer, kind: str) -> None:
    answer = requests.post(
        server.url + control_path("faults"),
        json={"kind": kind, "endpoint": "submit-jobs"},
        timeout=10,
    )
    assert answer.status_code in (200, 201), answer.text
    with pytest.raises(requests.ConnectionError):
        _post(server, SUBMIT_JOBS, {"prompt": "a cat"})
    tasks = requests.get(server.url + control_path("tasks"), timeout=10).json()
    # drop: the request never reached the backend; drop-after: served, then its answer lost.
    assert len(tasks["tasks"]) == (0 if kind == "drop" else 1)
    assert _post(server, SUBMIT_JOBS, {"prompt": "a dog"}).status_code == 200


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in procfs")
def test_clients_hanging_up_mid_body_leave_no_descriptor_behind(
    server: GranianMockServer,
) -> None:
    """Each hang-up makes the server look for the connection's socket among its descriptors
    (to reset it, as a crashed upstream would); a copy of every descriptor that was not a
    socket used to stay open: about 60 per hang-up, until select() in the same process (the
    recording proxy's waitress) failed past 1,024."""
    assert _post(server, SUBMIT_JOBS, {"prompt": "a cat"}).status_code == 200
    before = _open_descriptors()
    head = (
        f"POST {SUBMIT_JOBS} HTTP/1.1\r\nHost: x\r\nAPI-KEY: {KEY}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    for _ in range(10):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(head.encode() + b'{"prompt": "a')
    # The resets run on the control threads; the control API answers once they are free.
    deadline = time.monotonic() + 10
    while _open_descriptors() > before + 2 and time.monotonic() < deadline:
        requests.get(server.url + control_path("health"), timeout=10)
    assert _open_descriptors() <= before + 2
    assert _post(server, SUBMIT_JOBS, {"prompt": "a dog"}).status_code == 200


def test_the_control_api_answers_while_latency_faults_hold_every_provider_thread() -> None:
    with GranianMockServer(_config(), port=0, threads=2) as server:
        fault = requests.post(
            server.url + control_path("faults"),
            json={"kind": "latency", "latency": 3, "endpoint": "job-status", "count": 2},
            timeout=10,
        )
        assert fault.status_code in (200, 201), fault.text
        with ThreadPoolExecutor(2) as pool:
            held = [pool.submit(_post, server, JOB_STATUS, {"taskIds": ["x"]}) for _ in range(2)]
            time.sleep(0.3)
            started = time.monotonic()
            health = requests.get(server.url + control_path("health"), timeout=10)
            took = time.monotonic() - started
            assert not any(future.done() for future in held), "the fault held nothing"
            # On a manual clock the held requests wait for time to move: the control API moves it.
            requests.post(server.url + control_path("advance"), json={"seconds": 5}, timeout=10)
            for future in held:
                assert future.result().status_code == 200
    assert health.status_code == 200
    assert took < 1.5


def test_a_body_over_the_server_cap_is_413_in_json(server: GranianMockServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            f"POST {JOB_STATUS} HTTP/1.1\r\nHost: x\r\nAPI-KEY: {KEY}\r\n"
            "Content-Type: application/json\r\nContent-Length: 99999999\r\n\r\n".encode()
        )
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["status"] == 413


def test_two_api_key_headers_are_not_the_first_one(server: GranianMockServer) -> None:
    """The fast path sees both values joined, as under waitress, so it cannot authenticate."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        body = b'{"prompt": "a cat"}'
        sock.sendall(
            f"POST {SUBMIT_JOBS} HTTP/1.1\r\nHost: x\r\nAPI-KEY: {KEY}\r\nAPI-KEY: other\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 401"), reply[:200]


def test_a_host_name_is_resolved_and_the_port_known_before_start() -> None:
    server = GranianMockServer(_config(), host="localhost", port=0)
    assert server.port > 0
    with server:
        answer = requests.get(server.url + control_path("health"), timeout=10)
    assert answer.status_code == 200


def test_submit_under_concurrent_load_neither_oversells_nor_loses_a_task() -> None:
    with GranianMockServer(_config(max_in_progress=1000), port=0) as server:
        with ThreadPoolExecutor(16) as pool:
            answers = list(
                pool.map(lambda _: _post(server, SUBMIT_JOBS, {"prompt": "a cat"}), range(600))
            )
        accepted = [a for a in answers if a.json()["status"] == 0]
        # 1000 credits, 2 per fast task: exactly 500 accepted, every one of them stored.
        assert len(accepted) == 500
        tasks = requests.get(server.url + control_path("tasks"), timeout=10).json()["tasks"]
        assert {t["taskId"] for t in tasks} == {a.json()["data"]["taskId"] for a in accepted}


def test_a_chunked_body_is_framed_by_its_length_as_under_waitress(
    server: GranianMockServer,
) -> None:
    """granian de-chunks the body; Flask must then see its length (Werkzeug ignores
    Content-Length while Transfer-Encoding says chunked), so the body limit still applies."""
    body = json.dumps({"prompt": "x" * 100_000}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            f"POST {SUBMIT_JOBS} HTTP/1.1\r\nHost: x\r\nAPI-KEY: {KEY}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        for start in range(0, len(body), 8000):
            part = body[start : start + 8000]
            sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        sock.sendall(b"0\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, answer = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), reply[:200]
    assert json.loads(answer)["status"] == 413


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        # Answered straight from granian's request (no environ is built).
        (JOB_STATUS, "Content-Type: application/json; charset=utf-8\r\n", 200),
        # Not the direct path's kind: these go through the environ, as under waitress.
        (JOB_STATUS.replace("-", "%2D"), "Content-Type: application/json\r\n", 200),
        (JOB_STATUS, "Content-Type: application/json\r\nContent-Type: text/plain\r\n", 415),
        (JOB_STATUS + "?", "Content-Type: application/json\r\n", 200),
        (JOB_STATUS, "Content-Type: text/plain\r\n", 415),
    ],
)
def test_job_status_is_answered_whichever_way_the_request_goes_in(
    server: GranianMockServer, path: str, headers: str, status: int
) -> None:
    task_id = _submit(server)
    body = json.dumps({"taskIds": [task_id]}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nAPI-KEY: {KEY}\r\n{headers}"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, answer = reply.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status}".encode()), reply[:300]
    if status == 200:
        assert json.loads(answer)["data"][0]["taskId"] == task_id
    else:
        assert json.loads(answer)["status"] == status
