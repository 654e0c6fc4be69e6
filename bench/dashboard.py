"""How fast the dashboard answers with many tasks: `python bench/dashboard.py` (about 20 s).

Seeds `--tasks` tasks (default 10,000) through the backend, about half of them finished, in
memory and in a `--state-file` SQLite store, serves them with a real MockServer on loopback and
times each dashboard request `--runs` times over one keep-alive connection (after a warm-up).
Prints a markdown table of median and 95th-percentile milliseconds; the issue's bound is 200 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import requests

from mock_server import Config, ManualClock, MidjourneyBackend, MockServer
from mock_server.domain.lifecycle import SubmitRequest

KEY = "bench-key"
PATHS = (
    "/__mock/ui",
    "/__mock/ui/data",
    "/__mock/ui/data?page=200",
    "/__mock/ui/data?per_page=500",
    "/__mock/ui/data?status=0&page=3",
)


def seeded(tasks: int, state_file: str | None) -> MidjourneyBackend:
    config = Config(
        api_keys={KEY: 10**9},
        clock=ManualClock(start=1_766_900_000.0),
        max_in_progress=tasks,
        state_file=state_file,
    )
    backend = MidjourneyBackend(config)
    for n in range(tasks):
        backend.submit(KEY, SubmitRequest(prompt=f"prompt {n} --ar 16:9"))
    backend.advance(40)  # fast jobs take 30-50 s: about half finish
    return backend


def timings(url: str, runs: int) -> tuple[float, float]:
    with requests.Session() as session:
        session.get(url, timeout=60).raise_for_status()
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            session.get(url, timeout=60).raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"| store | request | median ms | p95 ms |  ({args.tasks} tasks, {args.runs} runs)")
    print("|---|---|---:|---:|")
    with tempfile.TemporaryDirectory() as scratch:
        for store, state_file in (("memory", None), ("sqlite", str(Path(scratch) / "s.db"))):
            started = time.perf_counter()
            backend = seeded(args.tasks, state_file)
            seconds = time.perf_counter() - started
            with MockServer(backend=backend, port=0) as server:
                for path in PATHS:
                    median, p95 = timings(server.url + path, args.runs)
                    print(f"| {store} | `{path}` | {median:.1f} | {p95:.1f} |")
            backend.close()
            print(f"|  {store}: seeding took {seconds:.1f} s | | | |")


if __name__ == "__main__":
    main()
