"""The committed OpenAPI documents are current, valid, and say what the schema files say.

Tools like Schemathesis read the OpenAPI document, the mock reads the schema files: if the two
drifted, contract tests would check something the mock does not do. ``openapi.yaml`` must stay the
provider's API exactly (clients are generated from it); ``openapi-mock.yaml`` adds the mock's own
control and CDN routes, and nothing of those may leak into the provider document.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

import fixtures
import schemas
from tools.build_openapi import main, render, rendered
from tools.openapi.components import component_name
from tools.openapi.mock import build_mock
from tools.openapi.provider import build

# Written out, not imported: these tests check the documents list the documented paths.
SUBMIT_PATH = "/midjourney/v1/submit-jobs"
STATUS_PATH = "/midjourney/v1/job-status"
CDN_PATH = "/cdn/{jobId}/{image}"
DOC_URI = "urn:midjourney-api-mock:openapi"
ERROR_STATUSES = {"400", "401", "404", "405", "413", "415"}
VARIANTS = ("provider", "mock")
BUILDERS = {"provider": build, "mock": build_mock}
CONTROL_PATHS = {
    "/__mock/reset": {"post": "ControlReset"},
    "/__mock/clock": {"get": "ControlClock"},
    "/__mock/clock/advance": {"post": "ControlClock"},
    "/__mock/tasks": {"get": "ControlTasks"},
    "/__mock/tasks/{taskId}": {"get": "ControlTask"},
    "/__mock/tasks/{taskId}/complete": {"post": "ControlTask"},
    "/__mock/tasks/{taskId}/fail": {"post": "ControlTask"},
    "/__mock/keys": {"get": "ControlKeys", "post": "ControlKey"},
    "/__mock/faults": {"get": "ControlFaults", "post": "ControlFault", "delete": "ControlFaults"},
    "/__mock/health": {"get": "ControlHealth"},
    "/__mock/hooks": {"get": "HookAttempts"},
    "/__mock/hooks/{hookId}/redeliver": {"post": "HookAttempt"},
    "/__mock/requests": {"get": "ControlRequests"},
    "/__mock/scenario": {
        "get": "ControlScenario",
        "post": "ControlScenario",
        "delete": "ControlScenario",
    },
}
REQUEST_BODIES = {
    ("/__mock/clock/advance", "post"): ("ControlAdvanceRequest", True),
    ("/__mock/tasks/{taskId}/fail", "post"): ("ControlFailRequest", False),
    ("/__mock/keys", "post"): ("ControlKeyRequest", True),
    ("/__mock/faults", "post"): ("ControlFaultRequest", True),
    ("/__mock/scenario", "post"): ("ControlScenarioRequest", True),
}


def _committed_text(filename: str = "openapi.yaml") -> str:
    return resources.files("schemas").joinpath(filename).read_text(encoding="utf-8")


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


@functools.cache
def _component_validator(component: str, variant: str = "provider") -> Draft202012Validator:
    """Validate against a component, resolving its refs inside the OpenAPI document itself."""
    registry: Registry[Any] = Registry().with_resource(
        DOC_URI, DRAFT202012.create_resource(schemas.openapi(variant))
    )
    return Draft202012Validator(
        {"$ref": f"{DOC_URI}#/components/schemas/{component}"}, registry=registry
    )


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


@pytest.mark.parametrize("variant", VARIANTS)
def test_committed_yaml_is_the_built_document(variant: str) -> None:
    filename = schemas.OPENAPI_FILES[variant]
    assert schemas.openapi(variant) == BUILDERS[variant]()
    assert _committed_text(filename) == rendered(variant)
    assert main(["--check"]) == 0


def test_the_provider_document_renders_with_the_provider_header() -> None:
    assert rendered("provider") == render(build())
    assert "[mock]" not in _committed_text("openapi.yaml")


@pytest.mark.parametrize("variant", VARIANTS)
def test_it_is_a_valid_openapi_3_1_document(variant: str) -> None:
    validator_module = pytest.importorskip("openapi_spec_validator")
    document = schemas.openapi(variant)
    assert document["openapi"] == "3.1.0"
    validator_module.validate(document, cls=validator_module.OpenAPIV31SpecValidator)


def test_unknown_document_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="unknown OpenAPI document"):
        schemas.openapi("nope")


def test_it_documents_exactly_the_two_provider_routes() -> None:
    document = schemas.openapi()
    assert set(document["paths"]) == {SUBMIT_PATH, STATUS_PATH}
    for item in document["paths"].values():
        assert set(item) == {"post"}
        responses = item["post"]["responses"]
        assert set(responses) == {"200"} | ERROR_STATUSES
        assert item["post"]["requestBody"]["required"] is True
    assert document["servers"][0]["url"] == "https://api.midjourney-api.com"
    assert document["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "API-KEY",
        "description": "[doc] The account's key; not an Authorization header.",
    }
    assert document["security"] == [{"ApiKeyAuth": []}]


def test_the_provider_document_has_nothing_of_the_mock() -> None:
    document = schemas.openapi()
    assert not [path for path in document["paths"] if path.startswith(("/__mock", "/cdn"))]
    assert "tags" not in document
    assert set(document["components"]["securitySchemes"]) == {"ApiKeyAuth"}
    names = set(document["components"]["schemas"])
    control = {component_name(name) for name in schemas.CONTROL_SCHEMA_NAMES}
    assert not names & control
    assert "__mock" not in _committed_text() and "X-Mock-Token" not in _committed_text()


def test_the_mock_document_is_the_provider_document_plus_the_mock_routes() -> None:
    provider, mock = schemas.openapi(), schemas.openapi("mock")
    assert set(mock["paths"]) == {SUBMIT_PATH, STATUS_PATH, CDN_PATH, *CONTROL_PATHS}
    for path, item in provider["paths"].items():
        assert mock["paths"][path] == item, path
    for section, entries in provider["components"].items():
        for name, value in entries.items():
            assert mock["components"][section][name] == value, (section, name)
    assert mock["security"] == provider["security"]
    assert mock["info"]["title"] == "midjourney-api-mock"
    extra = set(mock["components"]["schemas"]) - set(provider["components"]["schemas"])
    control = {component_name(name) for name in schemas.CONTROL_SCHEMA_NAMES}
    control_defs = {
        component_name(name, definition)
        for name in schemas.CONTROL_SCHEMA_NAMES
        for definition in schemas.load(name).get("$defs", {})
    }
    assert control_defs == {"ControlTasks_pageCursor"}  # the cursor every listing shares
    assert extra == control | control_defs
    assert {tag["name"] for tag in mock["tags"]} == {"mock-control", "mock-cdn"}


def test_control_routes_are_tagged_and_use_the_control_schemas() -> None:
    document = schemas.openapi("mock")
    for path, methods in CONTROL_PATHS.items():
        item = document["paths"][path]
        assert set(item) - {"parameters"} == set(methods), path
        for method, component in methods.items():
            operation = item[method]
            assert operation["tags"] == ["mock-control"], (path, method)
            assert operation["security"] == [{"MockToken": []}, {}], (path, method)
            assert operation["description"].startswith("[mock] ")
            responses = operation["responses"]
            success = responses["200"]["content"]["application/json"]["schema"]
            assert success == {"$ref": f"#/components/schemas/{component}"}, (path, method)
            assert set(responses) <= {"200", "400", "401", "403", "404", "409", "413", "415"}
            assert "401" in responses and "403" in responses  # token; Host and Origin guard
            if method in ("post", "delete"):
                assert "415" in responses, (path, method)  # JSON or nothing (CSRF)
            for status in set(responses) - {"200"}:
                error = responses[status]["content"]["application/json"]["schema"]
                assert error == {"$ref": "#/components/schemas/Error"}
            expected = REQUEST_BODIES.get((path, method))
            if expected is None:
                assert "requestBody" not in operation, (path, method)
                continue
            body = operation["requestBody"]
            assert body["required"] is expected[1]
            schema = body["content"]["application/json"]["schema"]
            assert schema == {"$ref": f"#/components/schemas/{expected[0]}"}
            assert "400" in responses
        for parameter in item.get("parameters", []):
            assert f"{{{parameter['name']}}}" in path and parameter["in"] == "path"
    listing = document["paths"]["/__mock/tasks"]["get"]
    assert {p["name"]: p["in"] for p in listing["parameters"]} == {
        "limit": "query",
        "cursor": "query",
    }
    # A state the request cannot change is a conflict (Schemathesis ST202), not a bad request.
    advance = document["paths"]["/__mock/clock/advance"]["post"]["responses"]["409"]
    assert "not manual" in advance["description"]
    for path in ("/__mock/tasks/{taskId}", "/__mock/tasks/{taskId}/complete"):
        assert "404" in document["paths"][path][next(iter(CONTROL_PATHS[path]))]["responses"]
    assert "409" in document["paths"]["/__mock/tasks/{taskId}/complete"]["post"]["responses"]
    assert "409" in document["paths"]["/__mock/tasks/{taskId}/fail"]["post"]["responses"]
    assert "404" in document["paths"]["/__mock/hooks/{hookId}/redeliver"]["post"]["responses"]
    assert document["components"]["securitySchemes"]["MockToken"]["name"] == "X-Mock-Token"
    assert document["components"]["securitySchemes"]["MockToken"]["in"] == "header"


def test_the_cdn_route_serves_png_and_404s_in_json() -> None:
    operation = schemas.openapi("mock")["paths"][CDN_PATH]["get"]
    assert operation["tags"] == ["mock-cdn"]
    assert operation["security"] == []
    assert set(operation["responses"]["200"]["content"]) == {"image/png"}
    not_found = operation["responses"]["404"]["content"]["application/json"]["schema"]
    assert not_found == {"$ref": "#/components/schemas/Error"}


def test_operation_ids_are_unique() -> None:
    for variant in VARIANTS:
        ids = [op["operationId"] for _, _, op in _operations(schemas.openapi(variant))]
        assert len(ids) == len(set(ids)), variant


@pytest.mark.parametrize("variant", VARIANTS)
def test_error_responses_use_the_error_schema(variant: str) -> None:
    responses = schemas.openapi(variant)["components"]["responses"]
    for response in responses.values():
        schema = response["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}


def test_submit_links_to_job_status_with_the_new_task_id() -> None:
    document = schemas.openapi()
    link = document["paths"][SUBMIT_PATH]["post"]["responses"]["200"]["links"]["GetJobStatus"]
    assert link["operationId"] == document["paths"][STATUS_PATH]["post"]["operationId"]
    assert link["requestBody"] == {"taskIds": ["$response.body#/data/taskId"]}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_component_is_referenced_and_every_ref_resolves(variant: str) -> None:
    document = schemas.openapi(variant)
    refs = set(_refs(document))
    components = document["components"]
    for section in ("schemas", "responses"):
        for name in components[section]:
            assert f"#/components/{section}/{name}" in refs, f"{section}/{name} is never referenced"
    used_schemes = {
        scheme
        for requirement in [
            *document["security"],
            *(r for _, _, op in _operations(document) for r in op.get("security", [])),
        ]
        for scheme in requirement
    }
    assert used_schemes == set(components["securitySchemes"])
    for ref in refs:
        section, _, name = ref.removeprefix("#/components/").partition("/")
        assert ref.startswith("#/components/"), ref
        assert name in components[section], ref


@pytest.mark.parametrize("variant", VARIANTS)
def test_components_carry_no_file_identity(variant: str) -> None:
    # An $id left in a component would re-base its refs away from the document.
    for name, schema in schemas.openapi(variant)["components"]["schemas"].items():
        text = repr(schema)
        assert "$id" not in text and "$defs" not in text and "$schema" not in text, name
        assert ".schema.json" not in text, name


def test_component_names() -> None:
    assert component_name("job_status_response") == "JobStatusResponse"
    assert component_name("task", "completedTask") == "Task_completedTask"
    names = set(schemas.openapi()["components"]["schemas"])
    assert {"SubmitRequest", "SubmitResponse", "Error", "Task", "HookPayload"} <= names
    assert {"Task_inProgressTask", "Task_failedTask", "Task_completedTask"} <= names
    assert "Common" not in names  # a file of $defs only has no shape of its own


@pytest.mark.parametrize(
    ("path", "schema_name", "payload"),
    fixtures.documented_samples(),
    ids=[f"{p}->{s}" for p, s, _ in fixtures.documented_samples()],
)
def test_documented_samples_validate_against_the_components(
    path: str, schema_name: str, payload: Any
) -> None:
    validator = _component_validator(component_name(schema_name))
    assert list(validator.iter_errors(payload)) == [], path


@pytest.mark.parametrize(
    ("index", "branch"), [(0, "inProgressTask"), (1, "failedTask"), (2, "completedTask")]
)
def test_task_item_examples_validate_against_their_components(index: int, branch: str) -> None:
    task = fixtures.load("quickstart/job_status_response.json")["data"][index]
    assert _component_validator("Task").is_valid(task)
    assert _component_validator(f"Task_{branch}").is_valid(task)
    others = {"inProgressTask", "failedTask", "completedTask"} - {branch}
    assert not any(_component_validator(f"Task_{other}").is_valid(task) for other in others)
    assert _component_validator("Task_terminalTask").is_valid(task) == (branch != "inProgressTask")


def test_examples_in_the_document_are_the_fixtures() -> None:
    operation = schemas.openapi()["paths"][SUBMIT_PATH]["post"]
    examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert examples["quickstart"]["value"] == fixtures.load("quickstart/submit_response.json")
    assert examples["quota"]["value"] == fixtures.load("api_reference/error_quota.json")


def test_build_accepts_extra_paths_but_not_replacements() -> None:
    extra = {"/__mock/reset": {"post": {"responses": {"204": {"description": "Reset."}}}}}
    document = build(extra_paths=extra)
    assert set(document["paths"]) == {SUBMIT_PATH, STATUS_PATH, "/__mock/reset"}
    assert schemas.openapi() == build()  # the committed document is unaffected
    with pytest.raises(ValueError, match="replace a provider route"):
        build(extra_paths={SUBMIT_PATH: {}})
    with pytest.raises(ValueError, match="replace a provider one"):
        build(extra_security_schemes={"ApiKeyAuth": {}})
    with pytest.raises(KeyError, match="unknown schema"):
        build(extra_schemas=["nope"])


def test_extra_schemas_become_components_of_that_document_only() -> None:
    document = build(extra_schemas=["control_clock"])
    assert "ControlClock" in document["components"]["schemas"]
    assert "ControlClock" not in build()["components"]["schemas"]
    assert "ControlClock" not in schemas.openapi()["components"]["schemas"]


@pytest.mark.parametrize("stale", ["openapi.yaml", "openapi-mock.yaml"])
def test_check_fails_on_a_stale_document(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stale: str
) -> None:
    import tools.build_openapi as builder

    real = builder._committed
    monkeypatch.setattr(
        builder, "_committed", lambda filename: "stale" if filename == stale else real(filename)
    )
    assert main(["--check"]) == 1
    assert capsys.readouterr().err.strip() == (
        f"schemas/{stale} is out of date: run `python -m tools.build_openapi`"
    )


def test_check_fails_on_a_missing_document(monkeypatch: pytest.MonkeyPatch) -> None:
    import tools.build_openapi as builder

    def missing(filename: str) -> str:
        raise FileNotFoundError(filename)

    monkeypatch.setattr(builder, "_committed", missing)
    assert main(["--check"]) == 1


# The components must accept exactly what the schema files accept.
COMPONENT_OF = {name: component_name(name) for name in schemas.PROVIDER_SCHEMA_NAMES}
LEAVES = st.none() | st.booleans() | st.integers(-5, 2000) | st.sampled_from(["0", "1", "x", ""])


@st.composite
def _mutated_samples(draw: st.DrawFn) -> tuple[str, Any]:
    samples = fixtures.documented_samples()
    _, name, payload = draw(st.sampled_from(samples))
    payload = copy.deepcopy(payload)
    if draw(st.booleans()):
        target = payload
        inner = payload.get("data")
        if isinstance(inner, list) and inner:
            target = draw(st.sampled_from(inner))
            name = "task" if draw(st.booleans()) else name
            payload = target if name == "task" else payload
        key = draw(st.sampled_from(sorted(target)))
        target[key] = draw(LEAVES)
    return name, payload


@settings(max_examples=150, deadline=None)
@given(case=_mutated_samples())
def test_components_agree_with_the_schema_files(case: tuple[str, Any]) -> None:
    name, instance = case
    component = _component_validator(COMPONENT_OF[name])
    assert component.is_valid(instance) == schemas.is_valid(name, instance)


def test_the_route_module_names_every_documented_path_once() -> None:
    from schemas import routes

    assert sorted(routes.mock_paths()) == sorted(schemas.openapi("mock")["paths"])
    assert len(set(routes.mock_paths())) == len(routes.mock_paths())
    assert {routes.SUBMIT_JOBS, routes.JOB_STATUS} == set(schemas.openapi()["paths"])
    assert set(routes.mock_paths()) == {SUBMIT_PATH, STATUS_PATH, CDN_PATH, *CONTROL_PATHS}
    assert routes.control_path("complete", taskId="a/b") == "/__mock/tasks/a%2Fb/complete"
    assert routes.flask_rule(routes.CDN_IMAGE) == "/cdn/<jobId>/<image>"
