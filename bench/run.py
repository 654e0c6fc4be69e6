"""Rerun every benchmark figure of issue 7 with one command: `python bench/run.py`.

Installs the peers (WireMock, Prism from npm; wrk from Debian) into bench/.peers/ when missing,
then measures mj-mock, WireMock and Prism side by side in the same run: cold start, RSS, wrk
throughput and latency, job-status cost against store size, and in-process calls per second.
Writes bench/results/latest.json and prints a markdown table. Every server it starts is stopped
when it ends, on error, on Ctrl-C, or when the run passes its time limit (--time-limit).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mjbench import peers
from mjbench.inprocess import measure_inprocess, summary_lines
from mjbench.load import WrkResult, failed_share, fill_submits, run_wrk
from mjbench.procs import Server, ServerSpec, get, install_signal_handlers, stop_all
from mjbench.report import comparison_table, issue15_table, markdown_table, targets
from mjbench.storecost import measure_store_cost

API_KEY = "bench-key"  # bench/mock.toml's key; the peers accept any API-KEY
JOB_STATUS = "/midjourney/v1/job-status"
SUBMIT = "/midjourney/v1/submit-jobs"
PROMPT = "a dog play with a boy --niji 6 --ar 9:16"  # the quickstart's prompt
HEADERS = {"Content-Type": "application/json", "API-KEY": API_KEY}
PROBE_BODY = json.dumps({"taskIds": ["JRTcg7frYrVn4PsnsboH6"]}).encode()
RESULTS_DIR = peers.BENCH_DIR / "results"
SERVERS = ("mj-mock", "WireMock", "Prism")
SCENARIOS = {"job_status_1": JOB_STATUS, "job_status_100": JOB_STATUS, "submit": SUBMIT}


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "tools": peers.tool_versions(),
    }


# -- helpers over the mock's own API -----------------------------------------------------------


def submit_tasks(server: Server, count: int) -> list[str]:
    """Submit `count` tasks one by one on a kept-alive connection; their ids."""
    body = json.dumps({"prompt": PROMPT, "mode": "fast"}).encode()
    ids = []
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for _ in range(count):
            conn.request("POST", SUBMIT, body=body, headers=HEADERS)
            response = conn.getresponse()
            raw = response.read()
            answer = json.loads(raw)
            if response.status != 200 or answer.get("status") not in (0, "0"):
                raise RuntimeError(f"submit refused: {response.status} {raw[:200]!r}")
            ids.append(answer["data"]["taskId"])
    finally:
        conn.close()
    return ids


def mock_key(server: Server) -> dict[str, Any]:
    status, raw = get(server.port, "/__mock/keys")
    if status != 200:
        raise RuntimeError(f"/__mock/keys answered {status}")
    for key in json.loads(raw)["keys"]:
        if key["key"] == API_KEY:
            found: dict[str, Any] = key
            return found
    raise RuntimeError(f"{API_KEY} is not a key of the mock: is bench/mock.toml in use?")


def mock_task_count(server: Server) -> int:
    status, raw = get(server.port, "/__mock/health")
    if status != 200:
        raise RuntimeError(f"/__mock/health answered {status}")
    return int(json.loads(raw)["tasks"])


def wait_settled(server: Server, limit_s: float = 15.0) -> None:
    """Wait until no task is in progress (the real clock finishes a fast job in <= 2 s)."""
    deadline = time.monotonic() + limit_s
    while mock_key(server)["inProgress"] > 0:
        if time.monotonic() > deadline:
            raise RuntimeError("tasks still in progress after the wait")
        time.sleep(0.2)


# -- phases --------------------------------------------------------------------------------------


def start(spec: ServerSpec, log_dir: Path) -> Server:
    server = Server.start(spec, log_dir)
    server.wait_first_answer(JOB_STATUS, PROBE_BODY, HEADERS)
    return server


def phase_cold_start(
    specs: dict[str, ServerSpec], log_dir: Path, reps: int, settle_s: float
) -> tuple[dict[str, Any], dict[str, float]]:
    """Process start to first answered request, `reps` times each, in rotating order; the RSS of
    each fresh process `settle_s` after that first answer is its idle RSS."""
    cold: dict[str, list[float]] = {name: [] for name in specs}
    idle: dict[str, list[float]] = {name: [] for name in specs}
    names = list(specs)
    for rep in range(reps):
        for name in names[rep % len(names) :] + names[: rep % len(names)]:
            server = Server.start(specs[name], log_dir)
            try:
                cold[name].append(server.wait_first_answer(JOB_STATUS, PROBE_BODY, HEADERS))
                time.sleep(settle_s)
                idle[name].append(server.rss_mb())
            finally:
                server.stop()
    say("cold start (s): " + ", ".join(f"{n} {statistics.median(v):.2f}" for n, v in cold.items()))
    result = {
        name: {"first_answer_s": statistics.median(samples), "samples_s": samples}
        for name, samples in cold.items()
    }
    return result, {name: statistics.median(samples) for name, samples in idle.items()}


def _aggregate(runs: list[WrkResult]) -> dict[str, Any]:
    return {
        "rps": statistics.median(r.rps for r in runs),
        "p50_ms": statistics.median(r.p50_ms for r in runs),
        "p99_ms": statistics.median(r.p99_ms for r in runs),
        "bytes_per_response": statistics.median(r.bytes_per_response for r in runs),
        "errors": sum(sum(r.errors.values()) for r in runs),
        "best_cpu_us_per_request": min(
            (r.cpu_us_per_request for r in runs if r.cpu_us_per_request is not None),
            default=None,
        ),
        "cpu_us_per_request": statistics.median(
            r.cpu_us_per_request for r in runs if r.cpu_us_per_request is not None
        )
        if any(r.cpu_us_per_request is not None for r in runs)
        else None,
        "rounds": [r.as_dict() for r in runs],
    }


def interleaved(
    wrk: str,
    targets_: dict[str, tuple[Server, Path]],
    path: str,
    rounds: int,
    seconds: float,
    on_round: Callable[[str, WrkResult], None] | None = None,
    connections: int = 16,
) -> dict[str, dict[str, Any]]:
    """`rounds` wrk runs per server, the servers taking turns (rotating who goes first), so
    background load on a shared machine falls on all of them alike."""
    runs: dict[str, list[WrkResult]] = {name: [] for name in targets_}
    names = list(targets_)
    for rnd in range(rounds):
        for name in names[rnd % len(names) :] + names[: rnd % len(names)]:
            server, body = targets_[name]
            url = server.base_url + path
            result = run_wrk(
                wrk, url, body, API_KEY, seconds, connections=connections, pid=server.pid
            )
            if failed_share(result) > 0.01:
                say(f"{name}: {result.errors} in {result.requests} answers; running it again")
                result = run_wrk(
                    wrk, url, body, API_KEY, seconds, connections=connections, pid=server.pid
                )
            runs[name].append(result)
            if on_round is not None:
                on_round(name, result)
    return {name: _aggregate(found) for name, found in runs.items()}


def warm_up(wrk: str, server: Server, path: str, body: Path, limit_s: float) -> float:
    """Load one route in 2 s runs until the server's CPU time per request settles (within 10%
    of the run before: the JIT of WireMock's JVM and Prism's V8 has done its work), at most
    `limit_s` seconds. Returns the seconds spent."""
    started = time.perf_counter()
    previous: float | None = None
    while time.perf_counter() - started < limit_s:
        result = run_wrk(wrk, server.base_url + path, body, API_KEY, 2, pid=server.pid)
        cost = result.cpu_us_per_request
        if cost is not None and previous is not None and abs(cost - previous) <= 0.1 * previous:
            break
        previous = cost
    return time.perf_counter() - started


def phase_throughput(
    wrk: str,
    servers: dict[str, Server],
    bodies: dict[str, dict[str, Path]],
    args: argparse.Namespace,
) -> dict[str, Any]:
    say("warming up every route of every server (the JVM's JIT takes longest) ...")
    for name, server in servers.items():
        limit = args.warmup_jvm if name == "WireMock" else args.warmup
        started = time.perf_counter()
        while time.perf_counter() - started < limit:
            for scenario, path in SCENARIOS.items():
                run_wrk(wrk, server.base_url + path, bodies[scenario][name], API_KEY, 2)
    out: dict[str, Any] = {}
    mock = servers["mj-mock"]
    warmups: dict[str, dict[str, float]] = {}
    for scenario, path in SCENARIOS.items():
        for name, server in servers.items():
            warmups.setdefault(name, {})[scenario] = warm_up(
                wrk, server, path, bodies[scenario][name], args.warmup
            )
        charged_before = mock_key(mock)["charged"]
        answered = 0

        def count(name: str, result: WrkResult) -> None:
            nonlocal answered
            if name == "mj-mock":
                answered += result.requests

        targets_ = {name: (server, bodies[scenario][name]) for name, server in servers.items()}
        out[scenario] = interleaved(wrk, targets_, path, args.rounds, args.duration, count)
        for name in servers:
            out[scenario][name]["warmup_s"] = round(warmups[name][scenario], 1)
        if scenario == "submit":
            accepted = (mock_key(mock)["charged"] - charged_before) // 2  # a fast task costs 2
            out[scenario]["mj-mock"]["accepted"] = accepted
            out[scenario]["mj-mock"]["answered"] = answered
        say(
            f"{scenario}: "
            + ", ".join(f"{n} {v['rps']:,.0f} req/s" for n, v in out[scenario].items())
        )
    return out


def phase_32_connections(
    wrk: str,
    servers: dict[str, Server],
    bodies: dict[str, dict[str, Path]],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """The same three routes at 32 connections (issue 15's p99 target), right after the
    16-connection rounds, so every server is warm; interleaved the same way."""
    out: dict[str, Any] = {}
    for scenario, path in SCENARIOS.items():
        targets_ = {name: (server, bodies[scenario][name]) for name, server in servers.items()}
        out[scenario] = interleaved(wrk, targets_, path, args.rounds, args.duration, connections=32)
        say(
            f"{scenario} at 32 connections: "
            + ", ".join(
                f"{n} {v['rps']:,.0f} req/s p99 {v['p99_ms']:.1f} ms"
                for n, v in out[scenario].items()
            )
        )
    return out


def phase_fill(wrk: str, mock: Server, body: Path, total: int, limit_s: float) -> dict[str, Any]:
    have = mock_task_count(mock)
    missing = max(0, total - have)
    say(f"submitting {missing:,} more tasks through the API (store holds {have:,}) ...")
    started = time.perf_counter()
    fill = fill_submits(
        wrk, mock.base_url + SUBMIT, body, API_KEY, lambda: mock_task_count(mock), total, limit_s
    )
    topped_up = max(0, total - mock_task_count(mock))
    if time.perf_counter() - started < limit_s:
        submit_tasks(mock, topped_up)
    elapsed = time.perf_counter() - started
    wait_settled(mock)
    time.sleep(1.0)
    count = mock_task_count(mock)
    rss = mock.rss_mb()
    say(f"{count:,} tasks stored, RSS {rss:.1f} MB")
    return {
        "tasks": count,
        "rss_mb": rss,
        "fill_seconds": elapsed,
        "fill_rps": fill["rps"],
        "wrk_chunks": len(fill["chunks"]),
        "topped_up_one_by_one": topped_up,
    }


def phase_store_size(
    wrk: str,
    full: Server,
    full_bodies: dict[str, Path],
    log_dir: Path,
    spec: ServerSpec,
    args: argparse.Namespace,
    work: Path,
) -> dict[str, Any]:
    """The same job-status calls against a mock holding only the queried tasks and one holding
    100,000+, in alternating rounds."""
    small = start(spec, log_dir)
    out: dict[str, Any] = {}
    try:
        ids = submit_tasks(small, 100)
        wait_settled(small)
        small_bodies = {
            "job_status_1": _write(work / "small-js1.json", {"taskIds": ids[:1]}),
            "job_status_100": _write(work / "small-js100.json", {"taskIds": ids}),
        }
        for body in small_bodies.values():
            warm_up(wrk, small, JOB_STATUS, body, args.warmup)
        small_tasks = mock_task_count(small)
        full_tasks = mock_task_count(full)
        for scenario in ("job_status_1", "job_status_100"):
            targets_ = {
                "small": (small, small_bodies[scenario]),
                "full": (full, full_bodies[scenario]),
            }
            found = interleaved(wrk, targets_, JOB_STATUS, args.rounds, args.duration)
            out[scenario] = {
                "small_tasks": small_tasks,
                "full_tasks": full_tasks,
                "small_rps": found["small"]["rps"],
                "full_rps": found["full"]["rps"],
                "full_over_small": found["full"]["rps"] / found["small"]["rps"],
                "small_p50_ms": found["small"]["p50_ms"],
                "full_p50_ms": found["full"]["p50_ms"],
                # The best round: background load only ever adds CPU time (GIL hand-offs, cache
                # misses), so the least a request cost is the closest to what it costs.
                "small_cpu_us": found["small"]["best_cpu_us_per_request"],
                "full_cpu_us": found["full"]["best_cpu_us_per_request"],
                "cpu_full_over_small": found["full"]["best_cpu_us_per_request"]
                / found["small"]["best_cpu_us_per_request"],
                "rounds": {k: v["rounds"] for k, v in found.items()},
            }
            say(
                f"store size, {scenario}: {small_tasks:,} tasks {found['small']['rps']:,.0f} "
                f"req/s vs {full_tasks:,} tasks {found['full']['rps']:,.0f} req/s; best CPU µs "
                f"per request {out[scenario]['small_cpu_us']:,.0f} vs "
                f"{out[scenario]['full_cpu_us']:,.0f}"
            )
        out["small_rss_mb"] = small.rss_mb()
    finally:
        small.stop()
    say("job-status cost against store size, in-process (WSGI, no server) ...")
    out["in_process"] = measure_store_cost(args.tasks)
    say(
        "in-process µs per job-status call, 100 vs "
        f"{args.tasks:,} tasks: "
        + ", ".join(
            f"{k} {v['small_us']:,.0f} vs {v['full_us']:,.0f}"
            for k, v in out["in_process"].items()
            if isinstance(v, dict)
        )
    )
    return out


def _write(path: Path, body: Any) -> Path:
    path.write_text(json.dumps(body))
    return path


def run(args: argparse.Namespace) -> dict[str, Any]:
    began = time.perf_counter()
    wrk = peers.ensure_wrk()
    peers.ensure_npm_peers()
    if shutil.which("java") is None:
        raise RuntimeError("java is needed for WireMock (Java 17: apt-get install openjdk-17-jre)")
    work = Path(tempfile.mkdtemp(prefix="mj-bench-"))
    # The servers' logs of the latest run stay in bench/results/logs/ (gitignored).
    log_dir = RESULTS_DIR / "logs"
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    try:
        only_inprocess = args.only == "inprocess"
        return (_run_inprocess if only_inprocess else _run)(args, wrk, work, log_dir, began)
    finally:
        stop_all()
        shutil.rmtree(work, ignore_errors=True)


def _run(
    args: argparse.Namespace, wrk: str, work: Path, log_dir: Path, began: float
) -> dict[str, Any]:
    peers.compile_bytecode(peers.REPO_DIR)  # as an installed mock has it (see the function)
    specs = {
        "mj-mock": peers.mock_spec(),
        "WireMock": peers.wiremock_spec(peers.write_wiremock_root(work / "wiremock")),
        "Prism": peers.prism_spec(),
    }
    # The comparison servers (issue 15): measured in the same rounds, reported in their own table.
    extras = {"WSGI floor (waitress)": peers.floor_spec()}
    if peers.has_granian():  # the headline row is granian's; waitress, the fallback, too
        extras["mj-mock (waitress)"] = peers.mock_spec("mj-mock (waitress)", server="waitress")
    if args.before:
        before = peers.before_spec(args.before, work)
        extras[before.name] = before
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "wrk": f"-t2 -c16 -d{args.duration:g}s, {args.rounds} interleaved rounds per server "
            "(median reported); the same at -c32 for the p99 figures",
            "mj-mock server": "granian" if peers.has_granian() else "waitress",
            "warmup_limit_s": {
                "mj-mock": args.warmup,
                "Prism": args.warmup,
                "WireMock": args.warmup_jvm,
            },
            "tasks_target": args.tasks,
            "mock_config": (peers.BENCH_DIR / "mock.toml").read_text(),
        },
        "loadavg": {"start": loadavg()},
    }

    say("cold start and idle RSS ...")
    cold, idle = phase_cold_start({**specs, **extras}, log_dir, args.cold_reps, args.idle_settle)
    results["cold_start"] = cold
    results["memory"] = {"idle_mb": idle}
    results["loadavg"]["after_cold_start"] = loadavg()

    say("starting the three servers for the load runs ...")
    servers = {name: start(spec, log_dir) for name, spec in specs.items()}
    mock = servers["mj-mock"]
    ids = submit_tasks(mock, 100)
    wait_settled(mock)
    submit_body = _write(work / "submit.json", {"prompt": PROMPT, "mode": "fast"})
    js1 = _write(work / "js1.json", {"taskIds": ids[:1]})
    js100 = _write(work / "js100.json", {"taskIds": ids})
    # Everyone gets the same bytes; the peers answer their static sample whatever the ids.
    bodies = {
        "job_status_1": dict.fromkeys(SERVERS, js1),
        "job_status_100": dict.fromkeys(SERVERS, js100),
        "submit": dict.fromkeys(SERVERS, submit_body),
    }
    for name, spec in extras.items():
        extra = servers[name] = start(spec, log_dir)
        if name.startswith("mj-mock"):  # stateful: its own 100 completed tasks
            own = submit_tasks(extra, 100)
            wait_settled(extra)
            bodies["job_status_1"][name] = _write(
                work / f"js1-{extra.port}.json", {"taskIds": own[:1]}
            )
            bodies["job_status_100"][name] = _write(
                work / f"js100-{extra.port}.json", {"taskIds": own}
            )
        else:
            bodies["job_status_1"][name] = js1
            bodies["job_status_100"][name] = js100
        bodies["submit"][name] = submit_body
    results["throughput"] = phase_throughput(wrk, servers, bodies, args)
    results["throughput_32"] = phase_32_connections(wrk, servers, bodies, args)
    results["memory"]["after_load_mb"] = {n: s.rss_mb() for n, s in servers.items()}
    for name in extras:
        servers.pop(name).stop()
    results["loadavg"]["after_throughput"] = loadavg()

    # A fresh mock for the memory figure: the submit rounds alone leave the load-run mock with
    # more than 100,000 tasks now that it is faster.
    fresh = start(specs["mj-mock"], log_dir)
    try:
        fill = phase_fill(wrk, fresh, submit_body, args.tasks, args.fill_limit)
    finally:
        fresh.stop()
    results["memory"]["mock_with_tasks_mb"] = fill["rss_mb"]
    results["memory"]["mock_tasks"] = fill["tasks"]
    results["memory"]["fill"] = {
        "path": "POST /midjourney/v1/submit-jobs: wrk in chunks, the rest one by one",
        "seconds": fill["fill_seconds"],
        "rps": fill["fill_rps"],
        "wrk_chunks": fill["wrk_chunks"],
        "topped_up_one_by_one": fill["topped_up_one_by_one"],
    }

    say("job-status cost against store size ...")
    results["store_size"] = phase_store_size(
        wrk,
        mock,
        {"job_status_1": js1, "job_status_100": js100},
        log_dir,
        specs["mj-mock"],
        args,
        work,
    )
    results["loadavg"]["after_store_size"] = loadavg()

    say("in-process calls against WireMock over loopback ...")
    # Prism is not needed any more: stop it so it takes no CPU from the in-process loop.
    servers["Prism"].stop()
    results["inprocess"] = measure_inprocess(
        servers["WireMock"].base_url,
        mock.base_url,
        ids[0],
        API_KEY,
        args.rounds,
        args.inprocess_seconds,
    )
    say(
        "in-process calls/s: "
        + ", ".join(f"{k} {v:,.0f}" for k, v in results["inprocess"]["calls_per_s"].items())
    )
    for server in servers.values():
        server.stop()
    results["loadavg"]["end"] = loadavg()
    results["targets"] = targets(results)
    results["elapsed_s"] = round(time.perf_counter() - began, 1)
    return results


def _run_inprocess(
    args: argparse.Namespace, wrk: str, work: Path, log_dir: Path, began: float
) -> dict[str, Any]:
    """`--only inprocess`: WireMock (warmed up as in the full run) and one mj-mock server for the
    reference row, then the in-process figures alone; about a minute."""
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "only": "inprocess",
        "loadavg": {"start": loadavg()},
    }
    wiremock = start(peers.wiremock_spec(peers.write_wiremock_root(work / "wiremock")), log_dir)
    mock = start(peers.mock_spec(), log_dir)
    ids = submit_tasks(mock, 1)
    wait_settled(mock)
    say(f"warming up WireMock for {args.warmup_jvm:g} s (the JVM's JIT) ...")
    js1 = _write(work / "js1.json", {"taskIds": ids})
    started = time.perf_counter()
    while time.perf_counter() - started < args.warmup_jvm:
        run_wrk(wrk, wiremock.base_url + JOB_STATUS, js1, API_KEY, 2)
    say("in-process calls against WireMock over loopback ...")
    results["inprocess"] = measure_inprocess(
        wiremock.base_url, mock.base_url, ids[0], API_KEY, args.rounds, args.inprocess_seconds
    )
    wiremock.stop()
    mock.stop()
    results["loadavg"]["end"] = loadavg()
    results["elapsed_s"] = round(time.perf_counter() - began, 1)
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per wrk round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per figure")
    parser.add_argument(
        "--warmup",
        type=float,
        default=6.0,
        help="seconds of the first, all-routes warm-up of mj-mock and Prism; then at most this "
        "long per route, until CPU per request settles",
    )
    parser.add_argument(
        "--warmup-jvm",
        type=float,
        default=30.0,
        help="seconds of the first, all-routes warm-up for WireMock, whose JIT needs longer",
    )
    parser.add_argument("--cold-reps", type=int, default=3, help="cold starts per server")
    parser.add_argument(
        "--idle-settle",
        type=float,
        default=1.0,
        help="seconds after the first answer before reading idle RSS",
    )
    parser.add_argument(
        "--tasks",
        type=int,
        default=100_000,
        help="tasks in the store for the memory and store-size figures",
    )
    parser.add_argument(
        "--fill-limit",
        type=float,
        default=240.0,
        help="upper bound in seconds on submitting those tasks",
    )
    parser.add_argument(
        "--inprocess-seconds", type=float, default=2.0, help="seconds per in-process round"
    )
    parser.add_argument(
        "--time-limit",
        type=int,
        default=900,
        help="abort (stopping every server) after this many seconds",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a short smoke run (1 round of 1 s, 5,000 tasks): checks the "
        "harness, not a figure to quote",
    )
    parser.add_argument(
        "--before",
        metavar="GIT_REF",
        help="also measure the mock at this git ref (the 'before' column), in the same rounds",
    )
    parser.add_argument(
        "--only",
        choices=["inprocess"],
        help="measure only these figures (inprocess: the in-process calls/s and the fixture)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "latest.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.rounds, args.warmup, args.warmup_jvm = 1.0, 1, 1.0, 2.0
        args.cold_reps, args.tasks, args.inprocess_seconds = 1, 5_000, 0.5
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    install_signal_handlers(args.time_limit)
    try:
        results = run(args)
    finally:
        stop_all()
    results["quick"] = bool(args.quick)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    if args.only == "inprocess":
        print("\n".join(summary_lines(results["inprocess"])))
        print(f"load average {results['loadavg']}; {results['elapsed_s']} s")
        return 0
    table = markdown_table(results)
    print(
        f"\nmj-mock vs WireMock {results['machine']['tools']['wiremock']} and Prism "
        f"{results['machine']['tools']['prism']}, {results['date']}, "
        f"{results['machine']['cores']} cores ({results['machine']['cpu']}), "
        f"load average {results['loadavg']['start']} at start; {results['elapsed_s']} s\n"
    )
    print(table)
    print()
    print(comparison_table(results))
    print()
    print(issue15_table(results))
    say(f"results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
