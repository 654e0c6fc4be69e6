"""The Flask app over one backend: the route table, the middleware, JSON errors everywhere.

Only the web layer: hook delivery, the ticker and the transports are wired by the composition
root (`mock_server.compose`), which calls `build_app`.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import defaultdict
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from mock_server.config import Config
from mock_server.domain.lifecycle import MidjourneyBackend
from mock_server.errors import ApiError, MethodNotAllowed, NotFound, PayloadTooLarge
from mock_server.web import cors, journal, routes
from mock_server.web.bodies import CONTROL_BLUEPRINT, EXTENSION_KEY, current_backend, error_response
from mock_server.web.faults import drop_answer_if_asked, inject_fault
from mock_server.web.guard import GUARD_KEY, ControlGuard, check_control_request

__all__ = ["build_app"]

log = logging.getLogger(__name__)
# A 100 kB path must not come back as a 100 kB message (nor fill the log).
_MAX_SHOWN = 200


def _shown(text: str) -> str:
    if len(text) <= _MAX_SHOWN:
        return text
    return f"{text[: _MAX_SHOWN - 3]}... ({len(text)} characters)"


def build_app(backend: MidjourneyBackend) -> Flask:
    """A WSGI app over `backend`: the server and the in-process mode both wrap one of these,
    so they cannot drift apart.

    Building a Flask app registers some forty routes, which was 80% of a test's `mj_mock`
    fixture; so one app is built per *shape* (the settings that decide routes and hooks) and
    each call gets a cheap copy of it holding its own backend, guard, settings and hook lists.
    Nothing in a shared part refers to a backend or a config: views and handlers find both
    through `current_app.extensions`."""
    config = backend.config
    shape = (config.control_enabled, tuple(config.cors_origins), config.max_body_bytes)
    with _templates_lock:
        template = _templates.get(shape)
        if template is None:
            template = _templates[shape] = _build(config)
    app = _copy_of(template)
    app.extensions[EXTENSION_KEY] = backend
    ControlGuard.install(app, config.control_hosts)
    return app


_templates: dict[tuple[object, ...], Flask] = {}
_templates_lock = threading.Lock()


def _build(config: Config) -> Flask:
    app = Flask("mock_server")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    # `//midjourney/v1/submit-jobs` is a 404, not a 308 whose Location is built from the Host
    # header (set before the blueprints, whose rules copy it when they are bound).
    app.url_map.merge_slashes = False
    routes.install(app, config)
    app.before_request(_guard_control)
    app.before_request(inject_fault)
    # Flask answers OPTIONS itself with an empty 200; say 405 in the API's shape instead, except
    # for a CORS preflight on a path `--cors` covers.
    app.make_default_options_response = _options_not_served  # type: ignore[method-assign]
    app.after_request(drop_answer_if_asked)
    journal.install(app)
    cors.install(app, config.cors_origins)
    _register_error_handlers(app)
    return app


def _copy_of(template: Flask) -> Flask:
    """A shallow copy of `template` whose per-app parts (extensions, settings, hook and handler
    tables, JSON provider) are its own, so changing one app never changes another; the URL map
    and the view functions, identical for one shape, are shared."""
    app = copy.copy(template)
    app.extensions = dict(template.extensions)
    app.config = type(template.config)(template.config.root_path, template.config)
    app.view_functions = dict(template.view_functions)
    app.before_request_funcs = defaultdict(
        list, {k: list(v) for k, v in template.before_request_funcs.items()}
    )
    app.after_request_funcs = defaultdict(
        list, {k: list(v) for k, v in template.after_request_funcs.items()}
    )
    spec: Any = defaultdict(lambda: defaultdict(dict))
    for scope, by_code in template.error_handler_spec.items():
        for code, handlers in by_code.items():
            spec[scope][code] = dict(handlers)
    app.error_handler_spec = spec
    app.json = app.json_provider_class(app)
    app.__dict__.pop("jinja_env", None)  # made again, for this app, on first use
    return app


def _guard_control() -> None:
    """Host, Origin and Content-Type checks for `/__mock/` (see `web.guard`)."""
    if request.blueprint != CONTROL_BLUEPRINT:
        return
    app = current_app
    backend: MidjourneyBackend = app.extensions[EXTENSION_KEY]
    guard: ControlGuard = app.extensions[GUARD_KEY]
    check_control_request(guard, token_configured=backend.config.control_token is not None)


def _options_not_served() -> Response:
    backend: MidjourneyBackend = current_app.extensions[EXTENSION_KEY]
    if backend.config.cors_origins and cors.covers(request.path):
        # A preflight: Flask's own empty 200, to which flask-cors adds its headers.
        return Flask.make_default_options_response(current_app)
    methods = current_app.url_map.bind_to_environ(request.environ).allowed_methods()
    meant = sorted(m for m in methods if m not in ("HEAD", "OPTIONS"))
    error = MethodNotAllowed(
        f"OPTIONS is not served on {_shown(request.path)} (no CORS is configured); "
        f"use {' or '.join(meant) or 'another method'}"
    )
    response = error_response(error, backend.config)
    response.headers["Allow"] = ", ".join(meant)
    return response


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error_response(error, current_backend().config)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        config = current_backend().config
        code = error.code or 500
        api_error: ApiError
        if code == 404:
            api_error = NotFound(
                f"no route {_shown(request.method)} {_shown(request.path)}; "
                f"the API has {routes.known_routes()}"
            )
        elif code == 405:
            # Flask adds HEAD and OPTIONS to every route; name the methods a client would mean.
            valid = getattr(error, "valid_methods", None) or ["POST"]
            meant = sorted(m for m in valid if m not in ("HEAD", "OPTIONS")) or valid
            api_error = MethodNotAllowed(
                f"{_shown(request.method)} is not allowed on {_shown(request.path)}; "
                f"use {' or '.join(meant)}"
            )
        elif code == 413:
            api_error = PayloadTooLarge(
                f"request body too large; the limit is {config.max_body_bytes} bytes"
            )
        else:
            api_error = ApiError(error.description or error.name, status=code)
        response = error_response(api_error, config)
        if code == 405:
            valid = error.valid_methods if hasattr(error, "valid_methods") else None
            if valid:
                response.headers["Allow"] = ", ".join(valid)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unexpected error in the mock")
        api_error = ApiError("internal error in the mock; see its log", status=500)
        return error_response(api_error, current_backend().config)
