"""In-process mode: `requests` and httpx calls to the API are answered without a socket, like
moto's decorators.

`responses` (for requests; `modes.intercept_requests` answers the API's calls ahead of it, with
the same callbacks) and respx (for httpx, sync and async; see `modes.intercept_httpx`, started at
the first httpx request by `modes.lazy_httpx`) intercept each call and hand it to the same app the
server runs, so both modes share every line of behaviour. Calls to other URLs are refused unless
listed in `passthrough`, and a call on the API's host outside `base_url`, or from any other HTTP
library, fails loudly (`modes.offline_guard`) instead of reaching the real service.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import responses

from mock_server.compose import Mock, build_mock
from mock_server.config import DEFAULT_BASE_URL, Config
from mock_server.delivery.sender import DeliveryResult, HttpHookSender
from mock_server.domain.clock import ManualClock
from mock_server.domain.lifecycle import MidjourneyBackend
from mock_server.domain.scenario import ScenarioSource, load_scenario, player_for
from mock_server.modes.intercept_httpx import Answer, HttpxInterceptor, httpx_available
from mock_server.modes.intercept_requests import RequestsInterceptor, Rule
from mock_server.modes.lazy_httpx import LazyHttpx
from mock_server.modes.offline_guard import HostGuard, NotIntercepted
from mock_server.testing.controller import MockController, test_client_transport
from mock_server.web.faults import DROP_HEADER
from schemas.routes import CDN_PREFIX

__all__ = ["UNREGISTERED_ANSWER", "HookReceiver", "InProcessController", "mock_midjourney"]

# Gets the hook payload; returns the HTTP status to report (None means 200).
HookReceiver = Callable[[dict[str, Any]], "int | None"]

F = TypeVar("F", bound=Callable[..., Any])
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_HOP_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


def _environ(path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """The little of a WSGI environ `FastPath.answer` reads, built from a POST's parts (a full
    one from Flask's test client costs a fifth of an in-process call)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in headers.items():
        lower = name.lower()
        if lower == "content-type":
            environ["CONTENT_TYPE"] = value
        elif lower in ("api-key", "transfer-encoding"):
            environ["HTTP_" + lower.upper().replace("-", "_")] = value
    return environ


# [decision] In-process, a hook to a URL with no registered receiver that is not a passthrough
# URL is never sent (nothing in-process leaves the machine) and is journaled as answered 200,
# so code under test that sets a real-looking hookUrl sees its hooks "delivered".
UNREGISTERED_ANSWER = DeliveryResult(200, None, 0.0)


class InProcessHookSender:
    """The in-process mode's delivery: hooks go to a registered Python receiver, to a real
    receiver on a passthrough (loopback) URL, or, for any other URL, nowhere
    (`UNREGISTERED_ANSWER`)."""

    def __init__(self, passthrough: tuple[str, ...], fallback: HttpHookSender) -> None:
        self._receivers: list[tuple[str, HookReceiver]] = []
        self._passthrough = passthrough
        self._fallback = fallback

    def add(self, url_prefix: str, receiver: HookReceiver) -> None:
        self._receivers.append((url_prefix, receiver))

    def __call__(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> DeliveryResult:
        for prefix, receiver in reversed(self._receivers):
            if url.startswith(prefix):
                try:
                    status = receiver(json.loads(body))
                except Exception as exc:
                    return DeliveryResult(None, f"receiver raised {exc!r}"[:300], 0.0)
                return DeliveryResult(200 if status is None else int(status), None, 0.0)
        if url.startswith(self._passthrough):
            return self._fallback(url, body, headers, timeout)
        return UNREGISTERED_ANSWER


class InProcessController(MockController):
    """The in-process controller: the control API's powers, plus Python hook receivers."""

    def __init__(self, sender: InProcessHookSender, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._hook_sender = sender

    def on_hook(self, url_prefix: str, receiver: HookReceiver) -> None:
        """Deliver hooks whose URL starts with `url_prefix` to `receiver(payload)`; the latest
        registration wins. Its return value is the status the mock sees (None means 200)."""
        self._hook_sender.add(url_prefix, receiver)


class mock_midjourney:
    """Intercept the API (and its image CDN) for the duration of a `with` block or a function.

    `with mock_midjourney() as mj:` yields a `MockController`; the default config has a manual
    clock, so nothing finishes until the test calls `mj.advance(...)`. `responses_mock` and
    `respx_mock` share a router the test already has (for requests and httpx respectively);
    httpx is intercepted only when the `httpx` extra (httpx and respx) is installed.
    `scenario` (a shipped name, a file or a document, see `domain.scenario`) plays from the start.
    """

    def __init__(
        self,
        config: Config | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        passthrough: Iterable[str] = (),
        responses_mock: responses.RequestsMock | None = None,
        respx_mock: Any = None,
        scenario: ScenarioSource | None = None,
    ) -> None:
        # Parsed now, so a bad scenario fails where it is named, not at the first request.
        self._scenario = None if scenario is None else load_scenario(scenario)
        self.config = config or Config(clock=ManualClock())
        self.base_url = base_url.rstrip("/")
        self._passthrough = tuple(passthrough)
        self._external_mock = responses_mock
        self._external_router = respx_mock
        self._httpx: HttpxInterceptor | LazyHttpx | None = None
        self._guard: HostGuard | None = None
        self._mock: responses.RequestsMock | None = None
        self._requests: RequestsInterceptor | None = None
        self.backend: MidjourneyBackend | None = None
        self._assembly: Mock | None = None
        self.controller: InProcessController | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> InProcessController:
        if self.controller is not None:
            raise RuntimeError("this mock_midjourney is already started")
        sender = InProcessHookSender(
            self._passthrough, HttpHookSender(self.config.hooks.max_response_bytes)
        )
        # The one assembly of every mode (`compose.build_mock`): here with inline delivery.
        self._assembly = assembly = build_mock(self.config, delivery="inline", sender=sender)
        self.backend = assembly.backend
        # A hook at the intercepted API itself would drive the mock's control API.
        base = urlsplit(self.base_url)
        if base.hostname:
            default_port = 443 if base.scheme == "https" else 80
            assembly.deliveries.add_own_address(base.hostname, base.port or default_port)
        client = assembly.app.test_client()
        self._fast = assembly.wsgi
        assembly.start()
        self._dispatch_client = client
        mock = self._external_mock or responses.RequestsMock(assert_all_requests_are_fired=False)
        self._register(mock)
        if self._external_mock is None:
            mock.start()
            # The API's calls are answered ahead of `responses` (the same callbacks, cheaper);
            # a shared `responses_mock` keeps seeing and recording every call, as before.
            self._requests = RequestsInterceptor(self._fast_rules())
            self._requests.start()
        self._mock = mock
        if httpx_available():
            build = functools.partial(
                HttpxInterceptor,
                self._forward_url,
                api_pattern=self._api_pattern(),
                image_pattern=self._image_pattern(),
                wrong_base=self._wrong_base,
                passthrough=self._passthrough,
                router=self._external_router,
            )
            # A router shared with the test gets the mock's routes now; our own starts at the
            # first httpx request (`lazy_httpx.py`), so a test without one does not pay for it.
            self._httpx = build() if self._external_router is not None else LazyHttpx(build)
            self._httpx.start()
        hosts = {urlsplit(self.base_url).hostname, urlsplit(self.config.image_base_url).hostname}
        self._guard = HostGuard(h for h in hosts if h)
        self._guard.start()
        api_key = next(iter(self.config.api_keys), "")
        self.controller = InProcessController(
            sender,
            transport=test_client_transport(client),
            base_url=self.base_url,
            api_key=api_key,
            backend=self.backend,
        )
        if self._scenario is not None:
            player_for(self.backend).load(self._scenario)
        return self.controller

    def stop(self) -> None:
        if self._requests is not None:
            self._requests.stop()
            self._requests = None
        if self._mock is not None and self._external_mock is None:
            self._mock.stop()
            self._mock.reset()
        if self._httpx is not None:
            self._httpx.stop()
            self._httpx = None
        if self._guard is not None:
            self._guard.stop()
            self._guard = None
        if self._assembly is not None:
            self._assembly.stop()  # closes the store: a state file can be reopened next start
            self._assembly = None
        self._mock = None
        self.controller = None

    def __enter__(self) -> InProcessController:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    # -- routing ----------------------------------------------------------------------------

    def _api_pattern(self) -> str:
        return re.escape(self.base_url) + r"(?:[/?#].*)?\Z"

    def _image_pattern(self) -> str | None:
        image_base = self.config.image_base_url
        if image_base.startswith(self.base_url + "/"):
            return None  # the API pattern already covers it
        return re.escape(image_base) + r"/[^/?#]+/[^/?#]+(?:\?.*)?\Z"

    def _wrong_base(self, url: str) -> str | None:
        """Why a call on the API's host but outside `base_url` is refused, or None if `url` is
        on another host."""
        host = urlsplit(self.base_url).hostname
        if host is None or urlsplit(url).hostname != host:
            return None
        return (
            f"mock_midjourney: {url} is on the API's host but outside the mocked base URL "
            f"{self.base_url}; fix the client's base URL, or pass base_url= to mock_midjourney"
        )

    def _register(self, mock: responses.RequestsMock) -> None:
        api = self._api_pattern()
        for method in _METHODS:
            mock.add_callback(method, re.compile(api), callback=self._answer_api, content_type=None)
        images = self._image_pattern()
        if images is not None:
            mock.add_callback(
                "GET", re.compile(images), callback=self._answer_image, content_type=None
            )
        host = urlsplit(self.base_url).hostname or ""
        # Matches only what the patterns above do not (responses drops overlapping matches).
        excluded = "".join(f"(?!{p})" for p in (api, images) if p is not None)
        wrong = re.compile(excluded + r"https?://" + re.escape(host) + r"(?::\d+)?(?:[/?#].*)?\Z")
        for method in _METHODS:
            mock.add_callback(method, wrong, callback=self._refuse_wrong_base, content_type=None)
        for prefix in self._passthrough:
            mock.add_passthru(prefix)

    def _fast_rules(self) -> list[Rule]:
        images = self._image_pattern()
        rules: list[Rule] = [(None, self._api_pattern(), self._answer_api)]
        if images is not None:
            rules.append(("GET", images, self._answer_image))
        return rules

    def _refuse_wrong_base(self, request: requests.PreparedRequest) -> Any:
        raise NotIntercepted(self._wrong_base(request.url or "") or "mock_midjourney refused it")

    def _forward_url(
        self, kind: str, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> Answer:
        """The generic entry point (httpx): route `url` like the requests callbacks do."""
        path = urlsplit(url).path
        if kind == "cdn":
            base_path = urlsplit(self.config.image_base_url).path
            full = CDN_PREFIX + path[len(base_path) :]
        else:
            full = path[len(urlsplit(self.base_url).path) :] or "/"
        return self._dispatch(method, full, urlsplit(url).query, headers, body)

    def _dispatch(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Answer:
        if method == "POST" and not query:
            answer = self._fast.answer(_environ(path, headers, body))
            if answer is not None:
                return 200, {"Content-Type": "application/json"}, answer
        headers = {k: v for k, v in headers.items() if k.lower() not in _HOP_HEADERS}
        response = self._dispatch_client.open(
            path, method=method, headers=headers, data=body, query_string=query
        )
        if response.headers.get(DROP_HEADER) == "drop":
            return None
        out = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_HEADERS}
        return response.status_code, out, response.get_data()

    def _answer_api(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        path = urlsplit(request.url or "").path
        base_path = urlsplit(self.base_url).path
        return self._forward(request, path[len(base_path) :] or "/")

    def _answer_image(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        path = urlsplit(request.url or "").path
        base_path = urlsplit(self.config.image_base_url).path
        return self._forward(request, CDN_PREFIX + path[len(base_path) :])

    def _forward(
        self, request: requests.PreparedRequest, path: str
    ) -> tuple[int, dict[str, str], bytes]:
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif body is not None and not isinstance(body, bytes):
            body = b"".join(chunk.encode() if isinstance(chunk, str) else chunk for chunk in body)
        answer = self._dispatch(
            request.method or "GET",
            path,
            urlsplit(request.url or "").query,
            dict(request.headers.items()),
            body or b"",
        )
        if answer is None:
            raise requests.ConnectionError(
                "('Connection aborted.', RemoteDisconnected('injected drop'))", request=request
            )
        return answer
