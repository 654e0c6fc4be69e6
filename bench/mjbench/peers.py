"""The peers and the tools, installed from the package registries into bench/.peers/ (gitignored).

Nothing here is vendored: WireMock (the npm package `wiremock`, which ships the standalone jar) and
Prism (`@stoplight/prism-cli`) come from npm, wrk from Debian, py-spy from PyPI. Versions are
pinned so two runs compare like with like; change them here.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from .procs import ServerSpec, run_bounded

__all__ = [
    "BENCH_DIR",
    "PEERS_DIR",
    "PRISM_VERSION",
    "PY_SPY_VERSION",
    "REPO_DIR",
    "WIREMOCK_VERSION",
    "ensure_npm_peers",
    "ensure_py_spy",
    "ensure_wrk",
    "mock_spec",
    "prism_spec",
    "tool_versions",
    "wiremock_spec",
]

WIREMOCK_VERSION = "3.13.2"
PRISM_VERSION = "5.16.0"
PY_SPY_VERSION = "0.4.3"

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BENCH_DIR.parent
PEERS_DIR = BENCH_DIR / ".peers"
NPM_PACKAGES = {"wiremock": WIREMOCK_VERSION, "@stoplight/prism-cli": PRISM_VERSION}


def _say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _installed_npm_version(name: str) -> str | None:
    manifest = PEERS_DIR / "node_modules" / name / "package.json"
    try:
        version: str = json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
    return version


def ensure_npm_peers() -> None:
    """npm-install WireMock and Prism at the pinned versions, unless they already are."""
    if all(_installed_npm_version(n) == v for n, v in NPM_PACKAGES.items()):
        return
    if shutil.which("npm") is None:
        raise RuntimeError("npm is needed to install WireMock and Prism (apt-get install npm)")
    PEERS_DIR.mkdir(parents=True, exist_ok=True)
    (PEERS_DIR / "package.json").write_text(
        json.dumps(
            {
                "name": "mj-mock-bench-peers",
                "private": True,
                "version": "0.0.0",
                "dependencies": NPM_PACKAGES,
            },
            indent=2,
        )
        + "\n"
    )
    _say(
        f"installing {', '.join(f'{n}@{v}' for n, v in NPM_PACKAGES.items())} into {PEERS_DIR} ..."
    )
    # --ignore-scripts: neither peer needs an install script (the jar ships in the tarball), and
    # it keeps install-time telemetry hooks from running.
    env = {**os.environ, "SCARF_ANALYTICS": "false"}
    run_bounded(
        ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        timeout_s=600,
        cwd=PEERS_DIR,
        env=env,
    )


def ensure_wrk() -> str:
    """wrk from Debian's packages: installed with apt-get when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise RuntimeError("wrk is missing: sudo apt-get install -y wrk")
    _say("installing wrk with apt-get ...")
    try:
        run_bounded(["apt-get", "install", "-y", "-q", "wrk"], timeout_s=300)
    except RuntimeError:
        run_bounded(["apt-get", "update", "-q"], timeout_s=300)
        run_bounded(["apt-get", "install", "-y", "-q", "wrk"], timeout_s=300)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("apt-get install wrk did not provide a wrk binary")
    return found


def ensure_py_spy() -> Path:
    """py-spy from PyPI, pip-installed into bench/.peers/pyspy (used by profile_mock.py)."""
    target = PEERS_DIR / "pyspy"
    binary = target / "bin" / "py-spy"
    if binary.exists():
        return binary
    _say(f"installing py-spy=={PY_SPY_VERSION} into {target} ...")
    run_bounded(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--target",
            str(target),
            f"py-spy=={PY_SPY_VERSION}",
        ],
        timeout_s=300,
    )
    return binary


def _mj_mock_argv() -> list[str]:
    # The console script itself, not a pyenv shim in front of it: a shim adds its own start-up
    # time (a shell and `pyenv exec`) that a user of a plain virtualenv would not pay.
    script = Path(sysconfig.get_path("scripts")) / "mj-mock"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from mock_server.cli import main; main()"]


def has_granian() -> bool:
    """Whether granian (the package's `fast` extra) is importable here."""
    import importlib.util

    return importlib.util.find_spec("granian") is not None


def _serve_args(config: Path | None = None) -> list[str]:
    """`mj-mock serve`'s arguments for every mock row: loopback, the harness's port, the bench
    config."""
    config_path = config or BENCH_DIR / "mock.toml"
    return ["serve", "--host", "127.0.0.1", "--port", "{port}", "--config", str(config_path)]


def mock_spec(
    name: str = "mj-mock", config: Path | None = None, server: str | None = None
) -> ServerSpec:
    """`mj-mock serve` on `server`: granian when it is installed (the headline row), unless
    told otherwise."""
    server = server or ("granian" if has_granian() else "waitress")
    argv = [*_mj_mock_argv(), *_serve_args(config), "--server", server]
    return ServerSpec(name, tuple(argv), cwd=REPO_DIR)


def wiremock_jar() -> Path:
    jars = sorted(
        (PEERS_DIR / "node_modules" / "wiremock" / "build").glob("wiremock-standalone-*.jar")
    )
    if not jars:
        raise RuntimeError("the wiremock npm package has no standalone jar")
    return jars[-1]


def wiremock_spec(root_dir: Path) -> ServerSpec:
    """The jar the npm package wraps, run by `java -jar` directly, as the package's own launcher
    does, so the PID we measure is the JVM's and start-up has no node in front of it.

    --no-request-journal: otherwise WireMock keeps every request it served, and its memory grows
    with the load test itself; the flag is what a long-running stub server would be given.
    """
    argv = [
        "java",
        "-jar",
        str(wiremock_jar()),
        "--port",
        "{port}",
        "--bind-address",
        "127.0.0.1",
        "--root-dir",
        str(root_dir),
        "--no-request-journal",
        "--disable-banner",
    ]
    return ServerSpec("WireMock", tuple(argv))


def prism_spec() -> ServerSpec:
    """Prism mocking the provider's OpenAPI document, static examples, request validation on.

    `-v warn`: Prism logs every request at its default level; the log is not what is measured.
    """
    prism = PEERS_DIR / "node_modules" / ".bin" / "prism"
    argv = [
        str(prism),
        "mock",
        str(REPO_DIR / "schemas" / "openapi.yaml"),
        "-h",
        "127.0.0.1",
        "-p",
        "{port}",
        "-v",
        "warn",
    ]
    return ServerSpec("Prism", tuple(argv))


def write_wiremock_root(root: Path, api_key_header: str = "API-KEY") -> Path:
    """Mappings for the two routes, answering the documented samples (compact JSON, like the mock
    and Prism send): job-status the quickstart sample, submit-jobs the API-reference sample."""
    fixtures = REPO_DIR / "fixtures"
    (root / "mappings").mkdir(parents=True, exist_ok=True)
    (root / "__files").mkdir(exist_ok=True)
    routes = {
        "job-status": fixtures / "quickstart" / "job_status_response.json",
        "submit-jobs": fixtures / "api_reference" / "submit_response.json",
    }
    for route, sample in routes.items():
        body = json.dumps(json.loads(sample.read_text()), separators=(",", ":"), ensure_ascii=False)
        mapping = {
            "request": {
                "method": "POST",
                "url": f"/midjourney/v1/{route}",
                "headers": {api_key_header: {"matches": ".+"}},
            },
            "response": {
                "status": 200,
                "headers": {"Content-Type": "application/json"},
                "body": body,
            },
        }
        (root / "mappings" / f"{route}.json").write_text(json.dumps(mapping, indent=2))
    return root


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unavailable"


def tool_versions() -> dict[str, str]:
    return {
        "python": sys.version.split()[0],
        "java": _first_line(["java", "-version"]),
        "node": _first_line(["node", "--version"]),
        "wrk": _first_line(["wrk", "-v"]),
        "wiremock": _installed_npm_version("wiremock") or "missing",
        "prism": _installed_npm_version("@stoplight/prism-cli") or "missing",
    }


# -- the comparison servers: the floor and the mock as it was before ---------------------------


def floor_spec() -> ServerSpec:
    """A do-nothing WSGI app under waitress (bench/floor_app.py): the HTTP server's ceiling."""
    argv = (sys.executable, str(BENCH_DIR / "floor_app.py"), "{port}")
    return ServerSpec("WSGI floor (waitress)", argv, cwd=REPO_DIR)


# The packages `mj-mock serve` imports from a checkout.
MOCK_PACKAGES = ("mock_server", "schemas", "fixtures")


def compile_bytecode(tree: Path) -> None:
    """Write the bytecode of the mock's packages in `tree`, as installing a wheel does (pip
    compiles it) and as a user's first start does. An editable checkout has none until then,
    and this machine sets PYTHONDONTWRITEBYTECODE=1, so every start of the bench's mock compiled
    its 70 modules again: 30-40 ms of each cold start, a cost no installed mock pays."""
    import compileall

    for package in MOCK_PACKAGES:
        if (tree / package).is_dir():
            compileall.compile_dir(tree / package, quiet=1)


def before_spec(ref: str, work: Path) -> ServerSpec:
    """The mock at git `ref` (extracted with `git archive`), served as `mj-mock serve` serves,
    on the headline row's server (granian when installed): the "before" column, measured in the
    same run as the current tree. A ref older than `--server` cannot be measured this way."""
    import tarfile

    tree = work / f"before-{ref}"
    tree.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO_DIR), "archive", ref, *MOCK_PACKAGES],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    compile_bytecode(tree)
    code = (
        f"import sys; sys.path.insert(0, {str(tree)!r}); from mock_server.cli import main; main()"
    )
    server = "granian" if has_granian() else "waitress"
    argv = (sys.executable, "-c", code, *_serve_args(), "--server", server)
    return ServerSpec(f"mj-mock before ({ref})", argv, cwd=tree)
