"""`mj-mock proxy`: a validating, recording proxy in front of the real API (or any provider).

```sh
mj-mock proxy --upstream https://api.midjourney-api.com --record mj-record/
mj-mock drift mj-record/ --write-config mock.toml
```

It listens like `mj-mock serve` and forwards both endpoints with the caller's key. As each answer
passes it is checked against the consumer schemas (what a client may rely on): a violation is
logged and counted (`GET /__proxy/stats`), and the answer still reaches the client byte for
byte. Each exchange is written in the contract suite's record format (`recording.py`, the key
scrubbed), so `mj-mock drift` and its calibration read a proxy's recording like a suite's. The
[decision]s the suite observes that one exchange shows (the envelope status type, `message` on
submit answers, `createdAt` and other fields on failed items, unknown ids reported or left out)
are written beside them as observations; the job-status envelope and fields on completed items
the calibration reads off the records themselves.

Hooks: a `hookUrl` is rewritten to the proxy's own listener (`--public-url` when the upstream
reaches the proxy under another name), so the provider's callback is recorded, validated and
then forwarded to the original URL, whose answer goes back to the provider.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import click
import requests
import waitress
from flask import Flask, Response, request

from mock_server.modes.server import stop_waitress
from schemas import routes
from schemas.recording import Recorder

from .checks import response_problems
from .observe import Observations

__all__ = ["RecordingProxy", "proxy_command"]

log = logging.getLogger("mj_mock.proxy")

FORWARDED_HEADERS = ("API-KEY", "Content-Type", "Accept", "Authorization")
TARGET = "proxy"
FAILED_FIELDS = {"taskId", "status", "createdAt", "failReason"}


class Clock(Protocol):
    def now(self) -> float: ...


class _WallClock:
    def now(self) -> float:
        import time

        return time.time()


def _error(status: int, message: str) -> Response:
    """The API's own error shape, for what the proxy itself refuses."""
    body = json.dumps({"status": status, "message": message, "data": None})
    return Response(body, status=status, content_type="application/json")


def _parse(raw: bytes) -> tuple[Any, str | None]:
    """(body, None) for JSON, (None, text) otherwise: the record's `body` and `text`."""
    try:
        return json.loads(raw), None
    except ValueError:
        return None, raw.decode("utf-8", "replace")


def _code(body: object) -> object:
    return body.get("status") if isinstance(body, dict) else None


class RecordingProxy:
    """The proxy app and its waitress server; `port=0` picks a free port."""

    def __init__(
        self,
        upstream: str,
        record: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        rewrite_hooks: bool = True,
        public_url: str | None = None,
        timeout: float = 60.0,
        clock: Clock | None = None,
        threads: int = 8,
    ) -> None:
        """`clock` stamps the records (wall time by default; a test passes the upstream's
        manual clock, so a replay sees the recorded timeline)."""
        self.upstream = upstream.rstrip("/")
        self.recorder = Recorder(Path(record), ())
        self.rewrite_hooks = rewrite_hooks
        self.timeout = timeout
        self.clock: Clock = clock or _WallClock()
        self._lock = threading.Lock()
        self._hooks: dict[str, str] = {}
        self._submitted: set[str] = set()
        self.observations = Observations(self.recorder)
        self.observations.current_test = "mj-mock proxy"
        self.exchanges: Counter[str] = Counter()
        self.violations: Counter[str] = Counter()
        self.problems: list[str] = []
        self._session = requests.Session()
        self.app = self._make_app()
        self._server: Any = waitress.create_server(
            self.app, host=host, port=port, threads=threads, ident="mj-mock-proxy"
        )
        self._public_url = (public_url or "").rstrip("/") or None
        self._thread: threading.Thread | None = None

    # -- serving --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self._server.effective_host}:{self._server.effective_port}"

    @property
    def public_url(self) -> str:
        return self._public_url or self.url

    def serve_forever(self) -> None:
        try:
            self._server.run()
        finally:
            self.stop()

    def start(self) -> RecordingProxy:
        self._thread = threading.Thread(target=self.serve_forever, name="mj-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server = self._server
        thread, self._thread = self._thread, None
        stop_waitress(server, thread)
        self._session.close()

    def __enter__(self) -> RecordingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "exchanges": dict(self.exchanges),
                "violations": dict(self.violations),
                "problems": list(self.problems[-50:]),
            }

    # -- the app --------------------------------------------------------------------------

    def _make_app(self) -> Flask:
        app = Flask(__name__)

        @app.route(
            routes.PROVIDER_PREFIX + "/<path:rest>", methods=["GET", "POST", "PUT", "DELETE"]
        )
        def forward(rest: str) -> Response:
            return self._forward(request.path)

        @app.post(routes.flask_rule(routes.PROXY_HOOK))
        def hook(token: str) -> Response:
            return self._hook(token)

        @app.get(routes.PROXY_STATS)
        def stats() -> Response:
            return Response(json.dumps(self.stats()), content_type="application/json")

        @app.errorhandler(404)
        def not_found(error: Exception) -> Response:
            return _error(
                404, f"the proxy forwards {routes.PROVIDER_PREFIX}/ only, not {request.path}"
            )

        @app.errorhandler(405)
        def not_allowed(error: Exception) -> Response:
            return _error(405, f"method {request.method} not allowed")

        return app

    def _forward(self, path: str) -> Response:
        raw = request.get_data()
        key = request.headers.get("API-KEY", "")
        if key:
            self.recorder.add_secret(key)
        request_body, _ = _parse(raw)
        sent = raw
        if self.rewrite_hooks and isinstance(request_body, dict):
            hook_url = request_body.get("hookUrl")
            if isinstance(hook_url, str) and hook_url.startswith(("http://", "https://")):
                token = secrets.token_urlsafe(12)
                with self._lock:
                    self._hooks[token] = hook_url
                rewritten = {
                    **request_body,
                    "hookUrl": self.public_url + routes.fill(routes.PROXY_HOOK, token=token),
                }
                sent = json.dumps(rewritten).encode()
        headers = {h: request.headers[h] for h in FORWARDED_HEADERS if h in request.headers}
        try:
            answer = self._session.request(
                request.method,
                self.upstream + path,
                data=sent,
                headers=headers,
                params=list(request.args.items(multi=True)),
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            return _error(502, f"upstream {self.upstream} did not answer: {type(exc).__name__}")
        endpoint = routes.ENDPOINT_NAMES.get(path)
        if endpoint is not None:
            self._note(endpoint, request.method, path, answer, request_body)
        out = Response(answer.content, status=answer.status_code)
        if "Content-Type" in answer.headers:
            out.headers["Content-Type"] = answer.headers["Content-Type"]
        else:
            del out.headers["Content-Type"]
        return out

    def _note(
        self,
        endpoint: str,
        method: str,
        path: str,
        answer: requests.Response,
        request_body: Any,
    ) -> None:
        """Validate, record and observe one exchange; never changes what the client gets."""
        body, text = _parse(answer.content)
        content_type = answer.headers.get("Content-Type")
        self._check(endpoint, answer.status_code, content_type, body, text)
        self.recorder.record(
            endpoint=endpoint,
            target=TARGET,
            method=method,
            path=path,
            http_status=answer.status_code,
            content_type=content_type,
            body=body,
            text=text,
            request_body=request_body,
            recorded_at=self.clock.now(),
        )
        if text is None and 200 <= answer.status_code < 300:
            self._observe(endpoint, body, request_body)

    def _check(
        self, endpoint: str, status: int, content_type: str | None, body: Any, text: str | None
    ) -> None:
        problems = response_problems(
            endpoint, status, content_type, body, is_json=text is None, layer="consumer"
        )
        with self._lock:
            self.exchanges[endpoint] += 1
            if problems:
                self.violations[endpoint] += 1
                self.problems.extend(problems)
        for problem in problems:
            log.warning("mj-mock proxy: %s", problem)

    def _observe(self, endpoint: str, body: Any, request_body: Any) -> None:
        """The suite's observations that a single exchange shows (names as in `observe.py`)."""
        if not isinstance(body, dict):
            return
        add: Callable[[str, Any, Any], Any] = self.observations.add
        with self._lock:
            if endpoint == "submit-jobs" and str(_code(body)) == "0":
                kind = "string" if isinstance(body.get("status"), str) else "integer"
                add("envelope status type", kind, "integer")
                add("submit answers carry message", isinstance(body.get("message"), str), True)
                data = body.get("data")
                if isinstance(data, dict) and isinstance(data.get("taskId"), str):
                    self._submitted.add(data["taskId"])
                return
            items = body.get("data")
            if endpoint != "job-status" or not isinstance(items, list):
                return
            # The envelope and completed items' extra fields need no observation: calibrate
            # reads them off the records themselves.
            for item in items:
                if not isinstance(item, dict):
                    continue
                if str(item.get("status")) == "2" and item.get("taskId") in self._submitted:
                    add("failed items carry createdAt", "createdAt" in item, True)
                    add("other fields on failed items", sorted(set(item) - FAILED_FIELDS), [])
            asked = request_body.get("taskIds") if isinstance(request_body, dict) else None
            if isinstance(asked, list):
                answered = {i.get("taskId") for i in items if isinstance(i, dict)}
                unknown = [i for i in asked if isinstance(i, str) and i not in self._submitted]
                # Only ids never submitted through the proxy: a task from before it started
                # would look unknown otherwise, so a real item for one is not counted.
                for task_id in unknown:
                    if task_id not in answered:
                        add("unknown ids", "left out", "left out")
                    elif any(
                        i.get("taskId") == task_id and str(i.get("status")) == "2"
                        for i in items
                        if isinstance(i, dict)
                    ):
                        add("unknown ids", "reported", "left out")

    def _hook(self, token: str) -> Response:
        with self._lock:
            original = self._hooks.get(token)
        if original is None:
            return _error(404, "no hookUrl of this proxy has this token")
        raw = request.get_data()
        body, text = _parse(raw)
        content_type = request.headers.get("Content-Type")
        self._check("hook", 200, content_type, body, text)
        self.recorder.record(
            endpoint="hook",
            target=TARGET,
            method="POST",
            path=original,
            http_status=200,
            content_type=content_type,
            body=body,
            text=text,
            request_body=None,
            recorded_at=self.clock.now(),
        )
        headers = {"Content-Type": content_type or "application/json"}
        try:
            answer = self._session.post(original, data=raw, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            return _error(502, f"the original hookUrl did not answer: {type(exc).__name__}")
        return Response(answer.content, status=answer.status_code)


@click.command("proxy")
@click.option("--upstream", required=True, help="The provider's base URL.")
@click.option(
    "--record",
    "record_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the records (created if missing), for `mj-mock drift`.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--rewrite-hooks/--no-rewrite-hooks",
    default=True,
    show_default=True,
    help="Send hookUrl callbacks through the proxy, which records and forwards them.",
)
@click.option("--public-url", help="The proxy's URL as the upstream reaches it (for hooks).")
def proxy_command(
    upstream: str,
    record_dir: Path,
    host: str,
    port: int,
    rewrite_hooks: bool,
    public_url: str | None,
) -> None:
    """Forward the API to UPSTREAM, validating and recording every answer."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        proxy = RecordingProxy(
            upstream,
            record_dir,
            host=host,
            port=port,
            rewrite_hooks=rewrite_hooks,
            public_url=public_url,
        )
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    click.echo(f"mj-mock proxy {proxy.url} -> {upstream}  (recording to {record_dir})")
    if rewrite_hooks:
        click.echo(f"  hookUrl callbacks through {proxy.public_url}{routes.PROXY_HOOK}")
    with contextlib.suppress(KeyboardInterrupt):
        proxy.serve_forever()
    stats = proxy.stats()
    click.echo(f"mj-mock proxy: {stats['exchanges']} exchanges, violations {stats['violations']}")
