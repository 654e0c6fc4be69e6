"""Schemathesis against the committed OpenAPI documents, with the mock as the target.

The target is the mock's own Flask app, called in-process through WSGI (the same app waitress
serves, so nothing differs but the socket; `test_bad_input.py` covers what only a socket can
send). Every operation of both documents is fuzzed with every one of Schemathesis' built-in
checks (no 5xx, status codes, content types, headers and bodies conforming to the document,
positive data accepted, negative data rejected, 405 with Allow for unsupported methods, auth
enforced, ...), with zero failures, and a state machine follows the document's link from
submit-jobs to job-status, so job-status is asked about ids that exist and its completed items
are checked too.

- `openapi.yaml` (the provider's API) is the contract clients are written against: it gets most of
  the budget and the stateful run.
- `openapi-mock.yaml` adds the control API and the image route; fuzzed statelessly with a smaller
  budget. A fault installed by `POST /__mock/faults` is cleared right after that call: faults are
  meant to produce 5xx and broken bodies, which would otherwise fail every later case.

Bounded to about a minute: `EXAMPLES` per operation and `STATEFUL_EXAMPLES` scenarios, no deadline
(a slow CI machine must not turn into a flaky failure), derandomized so CI runs are repeatable and
no example database is written. `MJ_FUZZ_EXAMPLES=1000` runs a longer local session.
"""

from __future__ import annotations

import collections
import json
import os
import re
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings

import schemas
from mock_server import Config, ManualClock, create_app
from mock_server.config import HookPolicy
from mock_server.domain.clock import Clock, RealClock
from mock_server.web.bodies import current_backend

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is a test extra for Python >= 3.11 only"
)
from schemathesis.checks import CHECKS, load_all_checks  # noqa: E402

load_all_checks()
# Every built-in check, not only the default set: positive data must be accepted, negative
# data refused, unsupported methods answered 405 with Allow, auth never ignored, and so on.
ALL_CHECKS = CHECKS.get_all()

FUZZ_KEY = "fuzz-key"
SCALE = int(os.environ.get("MJ_FUZZ_EXAMPLES", "0")) or None
EXAMPLES = SCALE or 400  # per operation of openapi.yaml
MOCK_EXAMPLES = max(10, (SCALE or 400) // 6)  # per operation of openapi-mock.yaml
STATEFUL_EXAMPLES = SCALE or 150  # scenarios of submit -> job-status
STATEFUL_STEPS = 8


def _app(clock: Clock | None = None) -> Flask:
    config = Config(
        api_keys={FUZZ_KEY: 10**9},
        # Real time (unless told), but a fast job takes 50 µs: job-status sees finished tasks.
        clock=clock or RealClock(),
        time_scale=1_000_000,
        seed=11,
        # Fuzzed hookUrls must never reach the network: every host is refused (and journaled).
        hooks=HookPolicy(allowed_hosts=frozenset()),
    )
    return create_app(config)


def _schema(document: dict[str, Any], app: Flask) -> Any:
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app
    schema.config.update(base_url="http://localhost", headers={"API-KEY": FUZZ_KEY})
    return schema


PROVIDER_APP = _app()
# The control API is made for a manual clock (`/__mock/clock/advance` refuses a real one).
MOCK_APP = _app(ManualClock())
provider_schema = _schema(schemas.openapi("provider"), PROVIDER_APP)
mock_schema = _schema(schemas.openapi("mock"), MOCK_APP)

_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "database": None,
    "derandomize": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
}


def _clear_faults(app: Flask) -> None:
    with app.app_context():
        current_backend().faults.clear()


@provider_schema.parametrize()
@settings(max_examples=EXAMPLES, **_SETTINGS)
def test_provider_operations_conform(case: Any) -> None:
    case.call_and_validate(checks=ALL_CHECKS)


@mock_schema.parametrize()
@settings(max_examples=MOCK_EXAMPLES, **_SETTINGS)
def test_mock_operations_conform(case: Any) -> None:
    try:
        case.call_and_validate(checks=ALL_CHECKS)
    finally:
        _clear_faults(MOCK_APP)


def test_submit_then_job_status_statefully() -> None:
    """Follows the GetJobStatus link: job-status for the id submit-jobs just returned."""
    linked: collections.Counter[str] = collections.Counter()

    class Machine(provider_schema.as_state_machine()):  # type: ignore[misc]
        def after_call(self, response: Any, case: Any) -> None:
            if case.operation.label.endswith("/job-status") and response.status_code == 200:
                items = json.loads(response.content)["data"]
                linked["found" if items else "empty"] += 1
                linked.update(f"status {item['status']}" for item in items)

    Machine.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS, **_SETTINGS
        )
    )
    # The link worked: job-status was asked about submitted ids and found them, finished.
    assert linked["found"] > 0, linked
    assert linked["status 1"] > 0, linked


def _shape(path: str) -> str:
    return re.sub(r"<[^>]*>|\{[^}]*\}", "{}", path)


def test_the_documents_cover_every_route() -> None:
    """Fuzzing every operation of a document means fuzzing every route the app serves."""
    served = {
        (rule.rule, method)
        for rule in MOCK_APP.url_map.iter_rules()
        if rule.endpoint != "static"
        # The dashboard is a page and its own data feed, not an API (tests/test_dashboard.py).
        and not rule.rule.startswith("/__mock/ui")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    served_shapes = {(_shape(path), method) for path, method in served}
    for schema, prefix in ((mock_schema, ""), (provider_schema, "/midjourney/")):
        documented = {
            (_shape(op.ok().path), op.ok().method.upper()) for op in schema.get_all_operations()
        }
        assert documented == {(p, m) for p, m in served_shapes if p.startswith(prefix)}
