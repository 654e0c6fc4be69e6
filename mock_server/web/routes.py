"""THE route table: every path the mock serves, bound to its handler here and nowhere else.

As moto's per-service `urls.py`: one screen that says what the mock answers. The paths come
from `schemas/routes.py` (the one definition the client, the contract suite and the OpenAPI
generator read too); the handlers (`provider`, `control`, `cdn`, `dashboard`) carry no route
decorators. The dashboard's own sub-paths are written here: they are the mock's page, not part
of any API document. Blueprints only group routes for the middleware: `mock_control` (and the
`dashboard` nested in it) is guarded and token-checked, `mock_cdn` is told apart by the fault
injector and the request journal.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, Response

from mock_server.config import Config
from mock_server.web import cdn, control, dashboard, provider
from mock_server.web.bodies import CDN_BLUEPRINT, CONTROL_BLUEPRINT
from schemas import routes as paths

__all__ = ["install", "known_routes"]

# (template from schemas/routes.py, method, handler)
Handler = Callable[..., Response]
Route = tuple[str, str, Handler]

PROVIDER: tuple[Route, ...] = (
    (paths.SUBMIT_JOBS, "POST", provider.submit_jobs),
    (paths.JOB_STATUS, "POST", provider.job_status),
)

CDN: tuple[Route, ...] = ((paths.CDN_IMAGE, "GET", cdn.image),)

# Below `paths.CONTROL_PREFIX`, by the names of `paths.CONTROL`.
CONTROL: tuple[Route, ...] = (
    ("health", "GET", control.health),
    ("reset", "POST", control.reset),
    ("clock", "GET", control.get_clock),
    ("advance", "POST", control.advance_clock),
    ("tasks", "GET", control.list_tasks),
    ("task", "GET", control.get_task),
    ("complete", "POST", control.complete_task),
    ("fail", "POST", control.fail_task),
    ("keys", "GET", control.list_keys),
    ("keys", "POST", control.add_key),
    ("hooks", "GET", control.list_hooks),
    ("redeliver", "POST", control.redeliver_hook),
    ("requests", "GET", control.list_requests),
    ("faults", "GET", control.list_faults),
    ("faults", "POST", control.add_fault),
    ("faults", "DELETE", control.clear_faults),
    ("scenario", "GET", control.get_scenario),
    ("scenario", "POST", control.start_scenario),
    ("scenario", "DELETE", control.unload_scenario),
)

# Below `paths.CONTROL_PREFIX + paths.DASHBOARD_PREFIX`: the page, its files, thumbnails, data.
DASHBOARD: tuple[Route, ...] = (
    ("", "GET", dashboard.page),
    ("/static/{name}", "GET", dashboard.asset),
    ("/images/{jobId}/{name}", "GET", dashboard.image),
    ("/data", "GET", dashboard.data),
)


def known_routes() -> str:
    """The provider routes, as a 404 names them."""
    return " and ".join(f"{method} {template}" for template, method, _ in PROVIDER)


def _bind(blueprint: Blueprint, routes: tuple[Route, ...]) -> Blueprint:
    for template, method, handler in routes:
        blueprint.add_url_rule(
            paths.flask_rule(template),
            endpoint=handler.__name__,
            view_func=handler,
            methods=[method],
        )
    return blueprint


def _control_blueprint() -> Blueprint:
    blueprint = Blueprint(CONTROL_BLUEPRINT, __name__, url_prefix=paths.CONTROL_PREFIX)
    _bind(blueprint, tuple((paths.CONTROL[name], m, h) for name, m, h in CONTROL))
    blueprint.before_request(control.check_token)
    # The dashboard is part of the control plane: nested, it is guarded by the same rules.
    ui = Blueprint("dashboard", __name__, url_prefix=paths.DASHBOARD_PREFIX)
    blueprint.register_blueprint(_bind(ui, DASHBOARD))
    return blueprint


def install(app: Flask, config: Config) -> None:
    """Register every route on `app` (the control API only when `config` enables it)."""
    app.register_blueprint(_bind(Blueprint("midjourney_api", __name__), PROVIDER))
    app.register_blueprint(_bind(Blueprint(CDN_BLUEPRINT, __name__), CDN))
    if config.control_enabled:
        app.register_blueprint(_control_blueprint())
