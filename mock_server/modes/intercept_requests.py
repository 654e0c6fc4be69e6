"""requests in the in-process mode: the mock's URLs answered before any transport adapter.

`responses` patches `HTTPAdapter.send`; per call it scans its registry, builds the response
through its generic callback machinery and records the call, and before that `requests` scans
the whole environment twice for proxy settings. Together that was nine tenths of an in-process
call, the mock itself one tenth. While a mock is active, this module takes the mock's URLs one
step earlier and cheaper:

- `Session.get_adapter`, asked by `Session.send`, hands a URL the mock answers to a small
  adapter that calls the mock's callback at once and wraps its answer as `responses` does (an
  urllib3 `HTTPResponse` through the session's own `HTTPAdapter.build_response`, the same
  headers, reason and retries);
- `Session.merge_environment_settings`, asked by `Session.request`, leaves out the environment's
  proxies and CA bundle for those URLs: no connection is made, so neither applies (the session's
  own settings are merged as before and reach the adapter and the response hooks unchanged).

Anyone else calling the two methods gets requests' own answer, so code that fetches a session's
adapter to configure it configures the real one.

The URL is taken the ordinary way (through `HTTPAdapter.send`, where `responses` keeps the same
callbacks registered, see `inprocess.py`) whenever this layer cannot stand in for it: the
session's adapter for the URL overrides `send` (a client adding headers or a default timeout
there must see its code run), or the method is not one the rule answers. Both ways call the same
callback, so the answer is the same.

Because the mock's URLs are taken before the adapters, a test's own `responses` mock started
inside the block no longer shadows the mock: its stubs answer their URLs and the mock answers its
own. Mocks nest; the newest one that matches a URL answers it.
"""

from __future__ import annotations

import io
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from http.client import responses as reasons
from typing import Any

import requests
from requests import sessions
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.exceptions import RetryError
from urllib3 import HTTPResponse
from urllib3.exceptions import MaxRetryError

__all__ = ["Callback", "RequestsInterceptor", "Rule"]

# A prepared request -> (status, headers, body); raises to fail the call (e.g. a dropped
# connection), exactly like a `responses` callback.
Callback = Callable[[requests.PreparedRequest], tuple[int, Mapping[str, str], bytes]]
# (the one method it answers, or None for every method; a regex the whole URL must match; callback)
Rule = tuple["str | None", str, Callback]

_lock = threading.Lock()
# Started interceptors, newest first; replaced whole under the lock, read without it.
_active: tuple[RequestsInterceptor, ...] = ()
_saved: dict[str, Any] = {}


class RequestsInterceptor:
    """Answers `requests` calls to the URLs of `rules` in-process while started."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._rules = tuple(
            (method, re.compile(pattern), callback) for method, pattern, callback in rules
        )
        self._any_method = [pattern for method, pattern, _ in self._rules if method is None]

    def start(self) -> None:
        global _active
        with _lock:
            if not _active:
                _install()
            _active = (self, *_active)

    def stop(self) -> None:
        global _active
        with _lock:
            if self not in _active:
                return
            _active = tuple(i for i in _active if i is not self)
            if not _active:
                _uninstall()

    def matches(self, url: str) -> bool:
        return any(pattern.match(url) for _, pattern, _ in self._rules)

    def answers_every_method(self, url: str) -> bool:
        return any(pattern.match(url) for pattern in self._any_method)

    def callback_for(self, method: str, url: str) -> Callback | None:
        for rule_method, pattern, callback in self._rules:
            if (rule_method is None or rule_method == method) and pattern.match(url):
                return callback
        return None


class _InProcessAdapter(BaseAdapter):
    """Stands in for `base` (the session's own adapter for the URL) for one call."""

    def __init__(self, base: HTTPAdapter, interceptor: RequestsInterceptor) -> None:
        self.base = base
        self.interceptor = interceptor

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        callback = self.interceptor.callback_for(request.method or "GET", request.url or "")
        if callback is None:
            return self.base.send(
                request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
            )
        body = request.body
        if body is not None and hasattr(body, "read"):
            request.body = body.read()  # as `responses` does, so the callback sees bytes
        retries = self.base.max_retries
        while True:
            response = self._answer(request, callback)
            # `responses`' reading of the adapter's urllib3 Retry: a status the client asked to
            # retry is asked again at once (no backoff sleep), until the retries run out.
            if not retries.is_retry(
                method=request.method or "GET",
                status_code=response.status_code,
                has_retry_after="Retry-After" in response.headers,
            ):
                return response
            try:
                retries = retries.increment(
                    method=request.method, url=response.url, response=response.raw
                )
            except MaxRetryError as exc:
                if retries.raise_on_status:
                    raise RetryError(exc, request=request) from None
                return response

    def _answer(self, request: requests.PreparedRequest, callback: Callback) -> requests.Response:
        status, headers, content = callback(request)
        original = None
        if any(name.lower() == "set-cookie" for name in headers):
            # requests reads cookies from the original response's `msg`, as for `responses`.
            original = HTTPResponse(body=io.BytesIO(), msg=headers, preload_content=False)  # type: ignore[arg-type]
        raw = HTTPResponse(
            body=io.BytesIO(content),
            headers=headers,
            status=status,
            reason=reasons.get(status),
            preload_content=False,
            original_response=original,  # type: ignore[arg-type]
            request_method=request.method,
        )
        return self.base.build_response(request, raw)

    def close(self) -> None:  # the session closes its own adapters
        pass


def _route(session: requests.Session, url: str) -> tuple[RequestsInterceptor, HTTPAdapter] | None:
    """The interceptor that answers `url` on `session`, with the session's own adapter for it,
    or None when the call must go the ordinary way."""
    for interceptor in _active:
        if interceptor.matches(url):
            try:
                adapter = _saved["get_adapter"](session, url)
            except requests.exceptions.InvalidSchema:  # the session has no adapter for it
                return None
            if type(adapter).send is not HTTPAdapter.send:  # a `send` of the client's own
                return None
            return interceptor, adapter
    return None


# Where requests' Session methods live (a module function's file: those are never wrapped).
_SESSIONS_FILE = sessions.merge_setting.__code__.co_filename


def _called_by_requests(function: str) -> bool:
    """True when the patched method was called by requests' own `Session.<function>`: only
    those calls are changed. Code that asks a session for its adapter (to set `max_retries`, say)
    or for its merged settings gets what requests gives it."""
    code = sys._getframe(2).f_code  # 0: here, 1: the patched method, 2: its caller
    return code.co_name == function and code.co_filename == _SESSIONS_FILE


def _get_adapter(self: requests.Session, url: str) -> BaseAdapter:
    found = _route(self, url) if _active and _called_by_requests("send") else None
    if found is None:
        adapter: BaseAdapter = _saved["get_adapter"](self, url)
        return adapter
    interceptor, base = found
    return _InProcessAdapter(base, interceptor)


def _merge_environment_settings(
    self: requests.Session, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
) -> dict[str, Any]:
    found = _route(self, url) if _active and _called_by_requests("request") else None
    if found is None or not found[0].answers_every_method(url):
        merged: dict[str, Any] = _saved["merge_environment_settings"](
            self, url, proxies, stream, verify, cert
        )
        return merged
    return {
        "proxies": _merge(proxies, self.proxies),
        "stream": _merge(stream, self.stream),
        "verify": _merge(verify, self.verify),
        "cert": _merge(cert, self.cert),
    }


_merge: Callable[[Any, Any], Any] = sessions.merge_setting  # untyped in types-requests

_PATCHES = {"get_adapter": _get_adapter, "merge_environment_settings": _merge_environment_settings}


def _install() -> None:
    for name, patch in _PATCHES.items():
        if vars(requests.Session).get(name) is not patch:  # still ours if a later patch kept us
            _saved[name] = vars(requests.Session)[name]
            setattr(requests.Session, name, patch)


def _uninstall() -> None:
    for name, patch in _PATCHES.items():
        if vars(requests.Session).get(name) is patch:  # not if someone patched over us since
            setattr(requests.Session, name, _saved[name])
