"""Starting, probing and always stopping the servers a benchmark run measures.

Every server is started in its own session (process group), registered here, and stopped by its
own id when the run ends, whether it ends normally, on an exception, on Ctrl-C or SIGTERM, or on
the run's overall time limit.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

__all__ = [
    "BenchTimeout",
    "Server",
    "ServerSpec",
    "cpu_seconds",
    "free_port",
    "get",
    "install_signal_handlers",
    "post",
    "rss_mb",
    "run_bounded",
    "stop_all",
]

_RUNNING: list[subprocess.Popen[bytes]] = []


class BenchTimeout(Exception):
    """The run passed its overall time limit."""


@dataclass(frozen=True)
class ServerSpec:
    """How to start one kind of server: `{port}` in `argv` is replaced with a free port."""

    name: str
    argv: tuple[str, ...]
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Server:
    spec: ServerSpec
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    started_at: float
    first_answer_s: float | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, spec: ServerSpec, log_dir: Path) -> Server:
        port = free_port()
        argv = [arg.replace("{port}", str(port)) for arg in spec.argv]
        log_path = log_dir / f"{spec.name}-{port}.log"
        env = {**os.environ, **spec.env}
        with log_path.open("wb") as log:
            started_at = time.perf_counter()
            process = subprocess.Popen(
                argv,
                cwd=spec.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _RUNNING.append(process)
        return cls(spec, port, process, log_path, started_at)

    def wait_first_answer(
        self, path: str, body: bytes, headers: dict[str, str], limit_s: float = 60.0
    ) -> float:
        """Seconds from process start to the first HTTP 200, polling in a tight loop."""
        deadline = self.started_at + limit_s
        while True:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(
                    f"{self.spec.name} exited early ({self.process.returncode}):\n{tail}"
                )
            try:
                status, _ = post(self.port, path, body, headers, timeout=2.0)
            except OSError:
                status = 0
            now = time.perf_counter()
            if status == 200:
                self.first_answer_s = now - self.started_at
                return self.first_answer_s
            if now > deadline:
                raise RuntimeError(f"{self.spec.name} gave no answer within {limit_s:.0f} s")
            time.sleep(0.001)

    def rss_mb(self) -> float:
        return rss_mb(self.pid)

    def stop(self) -> None:
        _terminate(self.process)


def post(
    port: int, path: str, body: bytes, headers: dict[str, str], timeout: float = 10.0
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def get(port: int, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def family(pid: int) -> list[int]:
    """`pid` and its descendants: granian serves from a worker process under its supervisor,
    so a server's CPU and memory are those of the whole family."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(raw[raw.rindex(")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(parents.get(current, []))
    return found


def _rss_one(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no VmRSS for pid {pid}")


def _cpu_one(pid: int) -> float:
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """VmRSS of a process and its descendants, in MB (10^6 bytes), from /proc/PID/status."""
    total = _rss_one(pid)
    for child in family(pid)[1:]:
        with contextlib.suppress(OSError, RuntimeError):
            total += _rss_one(child)
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (all threads), from
    /proc/PID/stat."""
    total = _cpu_one(pid)
    for child in family(pid)[1:]:
        with contextlib.suppress(OSError):
            total += _cpu_one(child)
    return total


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's own process group, then SIGKILL it if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    else:
        # The leader is gone; make sure nothing it spawned in its group is left behind.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    if process in _RUNNING:
        _RUNNING.remove(process)


def stop_all() -> None:
    for process in list(_RUNNING):
        _terminate(process)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if signum == signal.SIGALRM:
        raise BenchTimeout("the benchmark passed its time limit")
    raise SystemExit(128 + signum)


def install_signal_handlers(limit_s: int) -> None:
    """Stop every server on exit, on SIGINT/SIGTERM/SIGHUP, and after `limit_s` seconds."""
    atexit.register(stop_all)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(signum, _on_signal)
    signal.alarm(limit_s)


def run_bounded(
    argv: Sequence[str],
    timeout_s: float,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Run a helper (wrk, npm) to completion within `timeout_s`; return its stdout."""
    process = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    _RUNNING.append(process)
    try:
        out, err = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _terminate(process)
        raise RuntimeError(f"{argv[0]} did not finish within {timeout_s:.0f} s") from None
    finally:
        if process in _RUNNING:
            _RUNNING.remove(process)
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed ({process.returncode}):\n"
            f"{err.decode(errors='replace')[-3000:]}"
        )
    return out.decode(errors="replace")
