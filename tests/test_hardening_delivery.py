"""Issue 13, hook delivery and request threads: a slow receiver, a stalled host or a latency
fault must delay nothing but itself. Receivers are local loopback sockets; the ones that
misbehave do so in their own threads, on purpose, and every wait here is bounded."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from mock_server import Config, HookPolicy, ManualClock, MockServer, RealClock
from mock_server.delivery.lanes import LaneExecutor, lane_key
from mock_server.delivery.sender import HttpHookSender
from mock_server.modes.inprocess import mock_midjourney
from mock_server.testing.receiver import HookReceiverServer

from .support import KEY, STATUS, SUBMIT


def _submit(url: str, hook: str | None = None) -> str:
    body: dict[str, Any] = {"prompt": "a cat"}
    if hook:
        body["hookUrl"] = hook
    answer = requests.post(url + SUBMIT, json=body, headers={"API-KEY": KEY}, timeout=10)
    task_id: str = answer.json()["data"]["taskId"]
    return task_id


@contextlib.contextmanager
def _stalled_receivers(count: int) -> Iterator[list[str]]:
    """Hosts that accept the connection (the kernel's backlog does) and never answer."""
    sockets = []
    try:
        for _ in range(count):
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen(16)
            sockets.append(listener)
        yield [f"http://127.0.0.1:{s.getsockname()[1]}/hook" for s in sockets]
    finally:
        for listener in sockets:
            listener.close()


@contextlib.contextmanager
def _dripping_receiver(interval: float) -> Iterator[str]:
    """Answers one byte of a valid response every `interval` seconds: each read is quick, the
    whole answer takes forever."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Slow: " + b"x" * 200:
                    if stop.wait(interval):
                        return
                    conn.sendall(bytes([byte]))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    finally:
        stop.set()
        listener.close()
        thread.join(5)


def test_an_attempt_timeout_is_a_wall_clock_total_not_per_read() -> None:
    """Audit: a receiver dripping a byte every 2 s held a 10 s attempt for 40 s."""
    sender = HttpHookSender(max_response_bytes=1024)
    with _dripping_receiver(interval=0.25) as url:
        started = time.monotonic()
        result = sender(url, b"{}", {"Content-Type": "application/json"}, timeout=1.0)
        took = time.monotonic() - started
    assert result.status is None and result.error == "timed out after 1 s"
    assert took < 1.8, took  # the drip alone would take 50 s


def test_a_slow_name_lookup_ends_with_the_attempt_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A receiver whose name takes the resolver 3 s: the attempt still ends at its 0.5 s
    timeout. The watchdog has no socket to shut while a name resolves, so the lookup held the
    lane for the resolver's own timeout before."""
    real = socket.getaddrinfo
    release = threading.Event()

    def slow(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "slow-dns.invalid":  # answered here: no resolver is asked
            release.wait(3)
            raise socket.gaierror("never resolved")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    sender = HttpHookSender(max_response_bytes=1024)
    started = time.monotonic()
    result = sender("http://slow-dns.invalid/hook", b"{}", {}, timeout=0.5)
    took = time.monotonic() - started
    release.set()
    assert (result.status, result.error) == (None, "timed out after 0.5 s")
    assert took < 1.2, took


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_a_receiver_is_reached_by_name_and_by_address(host: str) -> None:
    sender = HttpHookSender(max_response_bytes=1024)
    with HookReceiverServer() as receiver:
        url = receiver.url.replace("127.0.0.1", host)
        result = sender(url, b'{"a": 1}', {"Content-Type": "application/json"}, timeout=5)
        assert (result.status, result.error) == (200, None)
        assert [hook.payload for hook in receiver.wait_for(1)] == [{"a": 1}]


def test_fifty_stalled_receivers_do_not_delay_a_healthy_receivers_hook() -> None:
    """Audit: 8 shared workers, so 50 receivers that never answer delayed a healthy one 60 s
    (18 s measured with a 3 s attempt timeout before the fix; about 0.1 s after)."""
    config = Config(
        api_keys={KEY: 10**6},
        clock=RealClock(),
        time_scale=1000.0,  # a fast job finishes in 30-50 ms of wall time
        max_in_progress=100,
        hooks=HookPolicy(retries=0, attempt_timeout=3.0),
    )
    with (
        _stalled_receivers(50) as stalled,
        HookReceiverServer() as healthy,
        MockServer(config, port=0) as server,
    ):
        for url in stalled:
            _submit(server.url, url)
        started = time.monotonic()
        task_id = _submit(server.url, healthy.url)
        (hook,) = healthy.wait_for(1, timeout=10)
        latency = time.monotonic() - started
        assert hook.task_id == task_id
        assert latency < 1.5, latency


def test_concurrent_advances_never_starve_the_api() -> None:
    """Audit: 8 advances waiting for deliveries took every request thread, and an unrelated
    job-status waited 14 s. Control calls now run on threads of their own."""
    config = Config(
        api_keys={KEY: 10**6},
        clock=ManualClock(),
        max_in_progress=100,
        hooks=HookPolicy(retries=0, attempt_timeout=3.0),
    )
    with _stalled_receivers(8) as stalled, MockServer(config, port=0) as server:
        for url in stalled:
            _submit(server.url, url)
        unrelated = _submit(server.url)

        def advance() -> None:
            requests.post(server.url + "/__mock/clock/advance", json={"seconds": 60}, timeout=30)

        advances = [threading.Thread(target=advance) for _ in range(8)]
        for thread in advances:
            thread.start()
        # The first advance is now waiting on the stalled deliveries.
        deadline = time.monotonic() + 5
        while not (server.backend.hooks and server.backend.hooks.busy()):
            assert time.monotonic() < deadline, "no delivery started"
            time.sleep(0.01)  # polling a condition, bounded: not waiting for the lifecycle
        started = time.monotonic()
        answer = requests.post(
            server.url + STATUS, json={"taskIds": [unrelated]}, headers={"API-KEY": KEY}, timeout=30
        )
        took = time.monotonic() - started
        assert answer.status_code == 200
        assert took < 1.0, took
        for thread in advances:
            thread.join(30)


def test_clearing_faults_does_not_wait_behind_delayed_requests() -> None:
    """Audit: `DELETE /__mock/faults` waited 19.6 s behind requests a latency fault held."""
    config = Config(api_keys={KEY: 10**6}, clock=RealClock(), time_scale=25.0)
    with MockServer(config, port=0) as server:
        spec = {"kind": "latency", "latency": 60, "probability": 1, "endpoint": "job-status"}
        requests.post(server.url + "/__mock/faults", json=spec, timeout=10)
        done: list[float] = []

        def poll() -> None:
            requests.post(
                server.url + STATUS, json={"taskIds": []}, headers={"API-KEY": KEY}, timeout=30
            )
            done.append(time.monotonic())

        pollers = [threading.Thread(target=poll) for _ in range(10)]  # more than the 8 threads
        for thread in pollers:
            thread.start()
        deadline = time.monotonic() + 5
        while (
            requests.get(server.url + "/__mock/faults", timeout=10).json()["faults"][0]["hits"] < 8
        ):  # every provider thread now holds a delayed request
            assert time.monotonic() < deadline, "the delayed requests never arrived"
            time.sleep(0.01)
        assert not done
        started = time.monotonic()
        cleared = requests.delete(server.url + "/__mock/faults", timeout=30)
        assert cleared.status_code == 200
        assert time.monotonic() - started < 1.0
        for thread in pollers:
            thread.join(10)
        # Clearing also released the held requests, long before their 60 s.
        assert len(done) == 10 and max(done) - started < 3.0


def test_latency_on_a_manual_clock_waits_for_the_clock_not_the_wall() -> None:
    """[decision] A manual clock sleeps no wall time: the answer comes once a test has advanced
    the clock by the latency."""
    with mock_midjourney(Config(api_keys={KEY: 10}, clock=ManualClock())) as mj:
        mj.inject_fault("latency", latency=30, endpoint="job-status")
        answers: list[int] = []

        def poll() -> None:
            answer = requests.post(
                mj.base_url + STATUS, json={"taskIds": []}, headers={"API-KEY": KEY}, timeout=60
            )
            answers.append(answer.status_code)

        started = time.monotonic()
        thread = threading.Thread(target=poll)
        thread.start()
        thread.join(0.3)
        assert thread.is_alive() and not answers  # held: 30 s of mock time have not passed
        mj.advance(30)
        thread.join(5)
        assert answers == [200]
        assert time.monotonic() - started < 5  # nowhere near 30 s of wall time


@pytest.mark.parametrize("interval", [0.25])
def test_a_dripping_receiver_fails_the_attempt_in_the_journal(interval: float) -> None:
    config = Config(
        api_keys={KEY: 100}, clock=ManualClock(), hooks=HookPolicy(retries=0, attempt_timeout=1.0)
    )
    with _dripping_receiver(interval) as url, MockServer(config, port=0) as server:
        _submit(server.url, url)
        started = time.monotonic()
        requests.post(server.url + "/__mock/clock/advance", json={"seconds": 60}, timeout=30)
        assert time.monotonic() - started < 3
        (attempt,) = requests.get(server.url + "/__mock/hooks", timeout=10).json()["hooks"]
        assert attempt["outcome"] == "failed" and "timed out" in attempt["error"]


def test_lanes_run_in_order_and_hand_threads_to_waiting_lanes() -> None:
    """FIFO within a receiver; past `max_threads`, a waiting lane gets the next free thread;
    idle lanes leave no thread behind."""
    lanes = LaneExecutor(per_lane=1, max_threads=1)
    release = threading.Event()
    order: list[str] = []
    finished = threading.Event()
    lanes.submit("a", release.wait)  # holds the only thread
    for name in ("a1", "a2"):
        lanes.submit("a", lambda name=name: order.append(name))
    lanes.submit("b", lambda: order.append("b1"))
    lanes.submit("b", finished.set)
    assert order == []  # everything waits behind the one held thread
    release.set()
    assert finished.wait(5)
    assert order == ["a1", "a2", "b1"]
    deadline = time.monotonic() + 5
    while lanes.thread_count():
        assert time.monotonic() < deadline, "a lane thread never exited"
        time.sleep(0.01)


def test_lane_keys_name_the_receiver() -> None:
    assert lane_key("http://Example.test/a") == lane_key("http://example.test:80/b")
    assert lane_key("https://example.test/") == "https://example.test:443"
    assert lane_key("http://example.test:8080/") != lane_key("http://example.test:8081/")
