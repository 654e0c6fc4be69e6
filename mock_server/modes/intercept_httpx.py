"""httpx in the in-process mode: sync and async clients answered by the same Flask app.

respx rather than mounting an httpx transport: a transport only helps code that builds its own
`httpx.Client(transport=...)`, while the rule is that a real client sets only a base URL and a key
and runs unchanged. respx patches httpx's own transports for every client, sync and async, the
way `responses` patches requests, so one router covers both and the two libraries behave alike:
the API and the CDN are answered, loopback passthrough prefixes go to the network, and anything
else fails at once with respx's "not mocked" error.

httpx and respx are the optional `httpx` extra; without respx this module does nothing, and the
socket guard (`modes.offline_guard`) makes an httpx call to the API's host fail loudly instead.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["Answer", "Forward", "HttpxInterceptor", "httpx_available"]

# (status, headers, body) from the Flask app, or None for an injected connection drop.
Answer = tuple[int, dict[str, str], bytes] | None
# (method, url, headers, body) -> Answer; `url_kind` is "api" or "cdn".
Forward = Callable[[str, str, str, dict[str, str], bytes], Answer]


@functools.cache
def httpx_available() -> bool:
    """True when both httpx and respx are installed (the `httpx` extra)."""
    return all(importlib.util.find_spec(name) is not None for name in ("httpx", "respx"))


class HttpxInterceptor:
    """A started respx router that sends API and CDN calls to `forward`."""

    def __init__(
        self,
        forward: Forward,
        *,
        api_pattern: str,
        image_pattern: str | None,
        wrong_base: Callable[[str], str | None],
        passthrough: Iterable[str],
        router: Any = None,
    ) -> None:
        import httpx
        import respx

        self._httpx = httpx
        self._forward = forward
        self._wrong_base = wrong_base
        self._external = router is not None
        self.router: respx.MockRouter = router or respx.MockRouter(
            assert_all_called=False, assert_all_mocked=True
        )
        for prefix in passthrough:
            self.router.route(url__startswith=prefix).pass_through()
        self.router.route(url__regex=api_pattern).mock(side_effect=self._api)
        if image_pattern is not None:
            self.router.route(method="GET", url__regex=image_pattern).mock(side_effect=self._cdn)
        self.router.route().mock(side_effect=self._other)

    def start(self) -> None:
        if not self._external:
            self.router.start()

    def stop(self) -> None:
        if not self._external:
            self.router.stop(quiet=True)

    def _answer(self, kind: str, request: Any) -> Any:
        try:
            body = request.content
        except self._httpx.RequestNotRead:
            body = request.read()
        headers = {k: v for k, v in request.headers.multi_items()}
        answer = self._forward(kind, request.method, str(request.url), headers, body)
        if answer is None:
            raise self._httpx.RemoteProtocolError(
                "Server disconnected without sending a response (injected drop).", request=request
            )
        status, out, content = answer
        return self._httpx.Response(status, headers=out, content=content, request=request)

    def _api(self, request: Any) -> Any:
        return self._answer("api", request)

    def _cdn(self, request: Any) -> Any:
        return self._answer("cdn", request)

    def _other(self, request: Any) -> Any:
        reason = self._wrong_base(str(request.url))
        if reason is None:
            reason = (
                f"mock_midjourney refused {request.method} {request.url}: not the API, not its "
                "CDN and not on a passthrough prefix"
            )
        raise self._httpx.ConnectError(reason, request=request)
