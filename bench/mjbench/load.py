"""Load from wrk: one fixed POST body and the API-KEY header per run, results as a dict."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .peers import BENCH_DIR
from .procs import cpu_seconds, run_bounded

__all__ = ["WrkResult", "failed_share", "fill_submits", "run_wrk"]

LUA_DIR = BENCH_DIR / "lua"
THREADS = 2
CONNECTIONS = 16


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    bytes_per_response: float
    # CPU time the server process spent per answered request (user + system, all threads): it
    # barely depends on what else the machine runs, unlike req/s.
    cpu_us_per_request: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _parse(output: str) -> WrkResult:
    for line in output.splitlines():
        if line.startswith("WRK_JSON "):
            raw = json.loads(line.removeprefix("WRK_JSON "))
            duration = raw["duration_us"] / 1e6
            lat = raw["latency_us"]
            requests = int(raw["requests"])
            return WrkResult(
                requests=requests,
                duration_s=duration,
                rps=requests / duration if duration else 0.0,
                p50_ms=lat["p50"] / 1000,
                p90_ms=lat["p90"] / 1000,
                p99_ms=lat["p99"] / 1000,
                max_ms=lat["max"] / 1000,
                errors={k: int(v) for k, v in raw["errors"].items()},
                bytes_per_response=raw["bytes"] / requests if requests else 0.0,
            )
    raise RuntimeError(f"no WRK_JSON line in wrk's output:\n{output[-2000:]}")


def run_wrk(
    wrk: str,
    url: str,
    body_file: Path,
    api_key: str,
    duration_s: float,
    threads: int = THREADS,
    connections: int = CONNECTIONS,
    pid: int | None = None,
) -> WrkResult:
    """One bounded wrk run at fixed concurrency (threads x connections); with the server's
    `pid`, also its CPU time per request."""
    argv = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration_s:g}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA_DIR / "post.lua"),
        url,
        "--",
        str(body_file),
        api_key,
    ]
    cpu_before = cpu_seconds(pid) if pid is not None else 0.0
    result = _parse(run_bounded(argv, timeout_s=duration_s + 30))
    if pid is not None and result.requests:
        result.cpu_us_per_request = (cpu_seconds(pid) - cpu_before) * 1e6 / result.requests
    if result.requests == 0:
        raise RuntimeError(f"wrk against {url}: no answer at all, errors {result.errors}")
    return result


def failed_share(result: WrkResult) -> float:
    """Socket errors and non-2xx answers, as a share of the answers wrk counted."""
    return sum(result.errors.values()) / max(result.requests, 1)


def fill_submits(
    wrk: str,
    url: str,
    body_file: Path,
    api_key: str,
    count: Callable[[], int],
    total: int,
    limit_s: float,
    rate_guess: float = 1000.0,
) -> dict[str, Any]:
    """Submit until the store holds about `total` tasks, within `limit_s` seconds.

    wrk cannot stop after N requests (its main thread sleeps the whole -d), so this runs it in
    chunks sized from the rate measured so far, aiming at 90% of what is missing each time; the
    last few hundred go one by one through `one_more`-style calls by the caller if needed.
    """
    started = time.perf_counter()
    rate = rate_guess
    chunks: list[dict[str, Any]] = []
    while True:
        missing = total - count()
        elapsed = time.perf_counter() - started
        # Less than a second's worth left: the caller tops up exactly, one by one.
        if missing <= 0 or elapsed >= limit_s or (chunks and missing < rate):
            break
        # The first chunk is a one-second probe: a guessed rate overshot by 68,000 tasks once
        # the mock got faster than the guess. Later chunks are at most 3 s, so the rate is
        # measured again before most of the store is filled: one 10 s chunk sized from the
        # probe (the mock still warming up) overshot by 8,500 tasks at 12,000 submits/s.
        seconds = 1.0 if not chunks else min(max(1.0, 0.8 * missing / rate), limit_s - elapsed, 3.0)
        # Whole seconds, rounded down: rounding 1.5 s up to 2 overshot by 6,753 tasks at
        # 15,000 submits/s once granian served them faster.
        result = run_wrk(wrk, url, body_file, api_key, max(1, int(seconds)))
        chunks.append(result.as_dict())
        rate = max(result.rps, 1.0)
    return {
        "seconds": time.perf_counter() - started,
        "chunks": chunks,
        "rps": statistics.median(c["rps"] for c in chunks) if chunks else None,
    }
