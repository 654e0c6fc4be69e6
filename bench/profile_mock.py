"""Where mj-mock's time goes: `python bench/profile_mock.py` (about two minutes).

Three views, written to bench/results/profile.json and printed as markdown:

* startup: interpreter, imports (the heaviest packages from `-X importtime`), building the app,
  and the first request (which builds the jsonschema validators), in a fresh process each time;
* costs: microseconds per call of each piece of the job-status and submit handlers, timed
  in-process with no server (best of several repeats, so background load barely moves them), and
  of the whole Flask app called as WSGI with no server;
* server: py-spy (from PyPI, into bench/.peers/pyspy) sampling the running `mj-mock serve` under
  wrk load with `--gil`, i.e. only the thread that holds the GIL: with one interpreter doing all
  the work, the shares are shares of the server's capacity. Each sample goes to the innermost frame
  of its stack that belongs to a known component (`BUCKETS`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mjbench import peers
from mjbench.load import run_wrk
from mjbench.procs import Server, install_signal_handlers, run_bounded, stop_all
from mjbench.storecost import best_us, wsgi_call

API_KEY = "bench-key"
JOB_STATUS = "/midjourney/v1/job-status"
SUBMIT = "/midjourney/v1/submit-jobs"
PROMPT = "a dog play with a boy --niji 6 --ar 9:16"
HEADERS = {"Content-Type": "application/json", "API-KEY": API_KEY}

# (bucket, predicate on one frame "func (file:line)"). A sample belongs to the innermost frame of
# its stack that matches a bucket (walking from the leaf up), so a random.choices call made by the
# backend counts as backend, and werkzeug's Response built by json_response counts as Werkzeug.
BUCKETS: list[tuple[str, Callable[[str], bool]]] = [
    (
        "jsonschema validation",
        lambda f: "jsonschema/" in f or "referencing/" in f or "(schemas/__init__.py" in f,
    ),
    ("JSON encode (json.dumps)", lambda f: "(json/encoder.py" in f or f.startswith("dumps (json/")),
    ("JSON decode (json.loads)", lambda f: "(json/decoder.py" in f or f.startswith("loads (json/")),
    ("prompt parsing (submit)", lambda f: "mock_server/domain/prompt" in f),
    ("render task items (web/wire.py)", lambda f: "mock_server/web/wire.py" in f),
    (
        "backend: auth, lock, store, new task",
        lambda f: any(
            m in f
            for m in (
                "mock_server/domain/lifecycle.py",
                "mock_server/domain/ledger.py",
                "mock_server/domain/timeline.py",
                "mock_server/storage/",
                "mock_server/domain/scheduler.py",
                "mock_server/records.py",
                "mock_server/domain/clock.py",
            )
        ),
    ),
    (
        "fault check (before_request)",
        lambda f: "mock_server/web/faults.py" in f or "mock_server/domain/faults.py" in f,
    ),
    ("logging (waitress's queue-depth warnings)", lambda f: "(logging/" in f),
    (
        "mock handler glue (web/provider.py, web/bodies.py)",
        lambda f: "mock_server/web/provider.py" in f or "mock_server/web/bodies.py" in f,
    ),
    (
        "Flask/Werkzeug (routing, contexts, request/response objects)",
        lambda f: "(flask/" in f or "(werkzeug/" in f,
    ),
    ("waitress (HTTP parsing, socket I/O, task queue)", lambda f: "(waitress/" in f),
    ("ticker thread (settle every 50 ms)", lambda f: "mock_server/domain/timeline.py" in f),
]


def say(message: str) -> None:
    print(f"[profile] {message}", file=sys.stderr, flush=True)


# -- startup ---------------------------------------------------------------------------------------

_STARTUP_SCRIPT = r"""
import json, sys, time, http.client
t0 = time.perf_counter()
from mock_server.cli import build_config
from mock_server.modes.server import MockServer
t1 = time.perf_counter()
config = build_config(config_file=sys.argv[1], api_keys=(), clock=None, time_scale=None,
                      seed=None, flags={})
server = MockServer(config, host="127.0.0.1", port=0)
t2 = time.perf_counter()
server.start()
conn = http.client.HTTPConnection("127.0.0.1", server.port)
conn.request("POST", "/midjourney/v1/job-status", body=b'{"taskIds": ["JRTcg7frYrVn4PsnsboH6"]}',
             headers={"Content-Type": "application/json", "API-KEY": "bench-key"})
assert conn.getresponse().read()
t3 = time.perf_counter()
conn.request("POST", "/midjourney/v1/job-status", body=b'{"taskIds": ["JRTcg7frYrVn4PsnsboH6"]}',
             headers={"Content-Type": "application/json", "API-KEY": "bench-key"})
assert conn.getresponse().read()
t4 = time.perf_counter()
server.stop()
print(json.dumps({"imports_s": t1 - t0, "build_s": t2 - t1, "first_request_s": t3 - t2,
                  "second_request_s": t4 - t3}))
"""


def profile_startup(reps: int) -> dict[str, Any]:
    """Where the first answer's time goes, measured in fresh processes."""
    config = str(peers.BENCH_DIR / "mock.toml")
    bare: list[float] = []
    phases: list[dict[str, float]] = []
    for _ in range(reps):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - started)
        out = run_bounded(
            [sys.executable, "-c", _STARTUP_SCRIPT, config], timeout_s=60, cwd=peers.REPO_DIR
        )
        phases.append(json.loads(out.strip().splitlines()[-1]))
    result: dict[str, Any] = {"interpreter_s": statistics.median(bare)}
    for key in phases[0]:
        result[key] = statistics.median(p[key] for p in phases)
    # Which packages the imports spend it on: cumulative import time of each top-level package.
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "import mock_server.cli, mock_server.modes.server",
        ],
        capture_output=True,
        text=True,
        cwd=peers.REPO_DIR,
        check=True,
    )
    rows: list[tuple[int, str, int, int]] = []  # (depth, module, self us, cumulative us)
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        depth = (len(parts[2]) - len(parts[2].lstrip(" ")) - 1) // 2
        rows.append((depth, parts[2].strip(), int(parts[0].split(":")[1]), int(parts[1])))
    # -X importtime prints a module after everything it imports: a row's parent is the next row
    # one level up. Charge each third-party package imported by the project's own modules
    # (mock_server, schemas, client) with its cumulative time; the project's modules with their
    # own time.
    own = ("mock_server", "schemas", "client")
    tops: Counter[str] = Counter()
    for i, (depth, module, self_us, cumulative_us) in enumerate(rows):
        top = module.split(".")[0]
        if top in own:
            tops["(the project's own modules)"] += self_us
            continue
        parent = next((r for r in rows[i + 1 :] if r[0] == depth - 1), None)
        if parent is not None and parent[1].split(".")[0] in own:
            tops[top] += cumulative_us
    result["imports_by_package_ms"] = {
        name: round(us / 1000, 1) for name, us in tops.most_common(12)
    }
    return result


# -- per-call costs --------------------------------------------------------------------------------


def profile_costs(number: int) -> dict[str, Any]:
    """Microseconds per call of each piece of the two handlers, and of the whole app as WSGI."""
    import schemas
    from mock_server import Config, ManualClock, MidjourneyBackend, create_app
    from mock_server.domain.lifecycle import SubmitRequest
    from mock_server.web.wire import job_status_body, submit_success_body

    config = Config(api_keys={API_KEY: 10**12}, clock=ManualClock(), max_in_progress=10**7)
    backend = MidjourneyBackend(config)
    app = create_app(backend=backend)
    ids = [backend.submit(API_KEY, SubmitRequest(prompt=PROMPT)).task_id for _ in range(100)]
    backend.advance(60)  # all completed: the full item, as the peers' sample carries
    tasks1 = backend.job_status(API_KEY, ids[:1])
    tasks100 = backend.job_status(API_KEY, ids)
    rendered1 = job_status_body(tasks1, config)  # json.dumps is timed apart from rendering
    rendered100 = job_status_body(tasks100, config)
    body1 = {"taskIds": ids[:1]}
    body100 = {"taskIds": ids}
    submit_body = {"prompt": PROMPT, "mode": "fast"}
    raw1 = json.dumps(body1).encode()
    raw100 = json.dumps(body100).encode()
    raw_submit = json.dumps(submit_body).encode()

    def wsgi(path: str, raw: bytes) -> Callable[[], object]:
        return wsgi_call(app, path, raw)

    costs: dict[str, dict[str, float]] = {
        "job_status_1": {
            "whole app as WSGI (no server)": best_us(wsgi(JOB_STATUS, raw1), number),
            "jsonschema validation": best_us(
                lambda: schemas.errors("job_status_request", body1), number
            ),
            "json.loads of the body": best_us(lambda: json.loads(raw1), number),
            "authenticate": best_us(lambda: backend.authenticate(API_KEY), number),
            "backend.job_status": best_us(lambda: backend.job_status(API_KEY, ids[:1]), number),
            "render (job_status_body)": best_us(lambda: job_status_body(tasks1, config), number),
            "json.dumps of the answer": best_us(
                lambda: json.dumps(rendered1, separators=(",", ":"), ensure_ascii=False),
                number,
            ),
        },
        "job_status_100": {
            "whole app as WSGI (no server)": best_us(wsgi(JOB_STATUS, raw100), number // 10),
            "jsonschema validation": best_us(
                lambda: schemas.errors("job_status_request", body100), number // 10
            ),
            "json.loads of the body": best_us(lambda: json.loads(raw100), number // 10),
            "authenticate": best_us(lambda: backend.authenticate(API_KEY), number // 10),
            "backend.job_status": best_us(lambda: backend.job_status(API_KEY, ids), number // 10),
            "render (job_status_body)": best_us(
                lambda: job_status_body(tasks100, config), number // 10
            ),
            "json.dumps of the answer": best_us(
                lambda: json.dumps(rendered100, separators=(",", ":"), ensure_ascii=False),
                number // 10,
            ),
        },
        "submit": {
            "whole app as WSGI (no server)": best_us(wsgi(SUBMIT, raw_submit), number),
            "jsonschema validation": best_us(
                lambda: schemas.errors("submit_request", submit_body), number
            ),
            "json.loads of the body": best_us(lambda: json.loads(raw_submit), number),
            "authenticate": best_us(lambda: backend.authenticate(API_KEY), number),
            "backend.submit (ledger, prompt parse, new task)": best_us(
                lambda: backend.submit(API_KEY, SubmitRequest(prompt=PROMPT)), number
            ),
            "render + json.dumps of the answer": best_us(
                lambda: json.dumps(submit_success_body(tasks1[0], config)), number
            ),
        },
    }
    # Flask/Werkzeug's own share: the whole WSGI call less the handler pieces timed above.
    for figures in costs.values():
        whole = figures["whole app as WSGI (no server)"]
        pieces = sum(v for k, v in figures.items() if k != "whole app as WSGI (no server)")
        # Pieces are timed apart, so on a busy machine they can add up past the whole: clamp.
        figures["Flask/Werkzeug + glue (whole less the pieces)"] = max(0.0, whole - pieces)
    return costs


# -- py-spy on the running server ------------------------------------------------------------------


def _bucket(stack: list[str]) -> str:
    for frame in reversed(stack):  # py-spy writes the root first, the leaf last
        for name, matches in BUCKETS:
            if matches(frame):
                return name
    return "other (threading, GC, interpreter)"


def summarise_folded(path: Path) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not stack_text:
            continue
        frames = stack_text.split(";")
        count = int(count_text)
        total += count
        counts[_bucket(frames)] += count
    shares = {name: round(100 * n / total, 1) for name, n in counts.most_common()} if total else {}
    return {"samples": total, "percent": shares}


def _thread_cpu(pid: int) -> dict[int, tuple[float, float]]:
    """(user, system) CPU seconds of each thread of `pid`."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, tuple[float, float]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            raw = (task / "stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        out[int(task.name)] = (int(fields[11]) / tick, int(fields[12]) / tick)
    return out


def cpu_split(wrk: str, server: Server, path: str, body: Path, seconds: float) -> dict[str, Any]:
    """Where the server process's CPU time goes by thread, under wrk load with no profiler:
    waitress's main thread runs the asyncore loop (accept, read, parse, flush); the worker
    threads run the WSGI app and build/write each response."""
    before = _thread_cpu(server.pid)
    result = run_wrk(wrk, server.base_url + path, body, API_KEY, seconds)
    after = _thread_cpu(server.pid)
    main_user = main_sys = work_user = work_sys = 0.0
    for tid, (user, system) in after.items():
        user0, sys0 = before.get(tid, (0.0, 0.0))
        if tid == server.pid:
            main_user, main_sys = user - user0, system - sys0
        else:
            work_user += user - user0
            work_sys += system - sys0
    total = main_user + main_sys + work_user + work_sys
    per = 1e6 / result.requests
    return {
        "rps": round(result.rps),
        "cpu_us_per_request": round(total * per),
        "main_thread_user_us": round(main_user * per),
        "main_thread_system_us": round(main_sys * per),
        "worker_threads_user_us": round(work_user * per),
        "worker_threads_system_us": round(work_sys * per),
        "main_thread_percent": round(100 * (main_user + main_sys) / total, 1) if total else None,
        "system_percent": round(100 * (main_sys + work_sys) / total, 1) if total else None,
    }


def profile_server(seconds: float, rate: int) -> dict[str, Any]:
    wrk = peers.ensure_wrk()
    py_spy = peers.ensure_py_spy()
    work = Path(tempfile.mkdtemp(prefix="mj-profile-"))
    server = Server.start(peers.mock_spec(), work)
    try:
        server.wait_first_answer(JOB_STATUS, b'{"taskIds": []}', HEADERS)
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        ids = []
        for _ in range(100):
            conn.request(
                "POST", SUBMIT, body=json.dumps({"prompt": PROMPT}).encode(), headers=HEADERS
            )
            ids.append(json.loads(conn.getresponse().read())["data"]["taskId"])
        conn.close()
        time.sleep(2.5)  # let them complete (real clock, time scale 25)
        bodies = {
            "job_status_1": (JOB_STATUS, {"taskIds": ids[:1]}),
            "job_status_100": (JOB_STATUS, {"taskIds": ids}),
            "submit": (SUBMIT, {"prompt": PROMPT, "mode": "fast"}),
        }
        out: dict[str, Any] = {}
        for name, (path, body) in bodies.items():
            body_file = work / f"{name}.json"
            body_file.write_text(json.dumps(body))
            run_wrk(wrk, server.base_url + path, body_file, API_KEY, 2)  # warm-up
            folded = work / f"{name}.folded"
            spy = subprocess.Popen(
                [
                    str(py_spy),
                    "record",
                    "--pid",
                    str(server.pid),
                    "--gil",
                    "--rate",
                    str(rate),
                    "--duration",
                    str(int(seconds)),
                    "--format",
                    "raw",
                    "--output",
                    str(folded),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                loaded = run_wrk(wrk, server.base_url + path, body_file, API_KEY, seconds + 2)
                spy.wait(timeout=seconds + 30)
            finally:
                if spy.poll() is None:
                    spy.kill()
                    spy.wait()
            summary = summarise_folded(folded)
            keep = peers.BENCH_DIR / "results" / f"pyspy-{name}.folded"
            keep.parent.mkdir(parents=True, exist_ok=True)
            keep.write_text(folded.read_text())  # for flamegraph.pl or speedscope
            summary["rps_while_sampled"] = round(loaded.rps)
            summary["cpu_by_thread"] = cpu_split(wrk, server, path, body_file, 4)
            out[name] = summary
            say(f"{name}: {summary['samples']} samples at {loaded.rps:,.0f} req/s")
        return out
    finally:
        server.stop()
        stop_all()


def markdown(results: dict[str, Any]) -> str:
    lines = []
    startup = results.get("startup")
    if startup:
        lines += ["### Start-up (median of fresh processes)", "", "| phase | ms |", "|---|--:|"]
        for key in ("interpreter_s", "imports_s", "build_s", "first_request_s", "second_request_s"):
            lines.append(
                f"| {key.removesuffix('_s').replace('_', ' ')} | {startup[key] * 1000:,.0f} |"
            )
        lines += ["", "| import (cumulative, one process) | ms |", "|---|--:|"]
        lines += [f"| {k} | {v:,.0f} |" for k, v in startup["imports_by_package_ms"].items()]
        lines.append("")
    costs = results.get("costs")
    if costs:
        lines += [
            "### Per-call cost in-process (best of 5, µs)",
            "",
            "| piece | job-status 1 id | job-status 100 ids | submit |",
            "|---|--:|--:|--:|",
        ]
        keys: list[str] = []
        for figures in costs.values():
            keys += [k for k in figures if k not in keys]
        for key in keys:
            cells = [
                f"{costs[s][key]:,.0f}" if key in costs[s] else "—"
                for s in ("job_status_1", "job_status_100", "submit")
            ]
            lines.append(f"| {key} | " + " | ".join(cells) + " |")
        lines.append("")
    server = results.get("server")
    if server:
        names: list[str] = []
        for summary in server.values():
            names += [k for k in summary["percent"] if k not in names]
        lines += [
            "### Server under wrk load: share of GIL-holding samples (py-spy --gil), %",
            "",
            "| bucket | job-status 1 id | job-status 100 ids | submit |",
            "|---|--:|--:|--:|",
        ]
        for name in names:
            cells = [
                f"{server[s]['percent'].get(name, 0.0):.1f}" if s in server else "—"
                for s in ("job_status_1", "job_status_100", "submit")
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append(
            "| req/s while sampled | "
            + " | ".join(
                f"{server[s]['rps_while_sampled']:,}" if s in server else "—"
                for s in ("job_status_1", "job_status_100", "submit")
            )
            + " |"
        )
        for key, label in (
            ("cpu_us_per_request", "server CPU µs per request, no profiler"),
            ("main_thread_percent", "… of which waitress's main thread (asyncore loop), %"),
            ("system_percent", "… of which kernel (system) time, %"),
        ):
            lines.append(
                f"| {label} | "
                + " | ".join(
                    f"{server[s]['cpu_by_thread'][key]:,}" if s in server else "—"
                    for s in ("job_status_1", "job_status_100", "submit")
                )
                + " |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("startup", "costs", "server"), action="append")
    parser.add_argument("--seconds", type=float, default=10.0, help="py-spy seconds per route")
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--number", type=int, default=2000, help="calls per timing repeat")
    parser.add_argument("--output", type=Path, default=peers.BENCH_DIR / "results" / "profile.json")
    args = parser.parse_args(argv)
    parts = args.only or ["startup", "costs", "server"]
    install_signal_handlers(600)
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }
    try:
        if "startup" in parts:
            say("start-up ...")
            results["startup"] = profile_startup(5)
        if "costs" in parts:
            say("per-call costs ...")
            results["costs"] = profile_costs(args.number)
        if "server" in parts:
            say("py-spy on the server under load ...")
            results["server"] = profile_server(args.seconds, args.rate)
    finally:
        stop_all()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
