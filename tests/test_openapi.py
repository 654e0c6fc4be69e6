"""The committed OpenAPI document is current, valid, and says what the schema files say.

Tools like Schemathesis read the OpenAPI document, the mock reads the schema files: if the two
drifted, contract tests would check something the mock does not do.
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
from schemas.build_openapi import STATUS_PATH, SUBMIT_PATH, build, component_name, main, render

DOC_URI = "urn:midjourney-api-mock:openapi"
ERROR_STATUSES = {"400", "401", "404", "405", "413", "415"}


def _committed_text() -> str:
    return resources.files("schemas").joinpath("openapi.yaml").read_text(encoding="utf-8")


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
def _component_validator(component: str) -> Draft202012Validator:
    """Validate against a component, resolving its refs inside the OpenAPI document itself."""
    registry: Registry[Any] = Registry().with_resource(
        DOC_URI, DRAFT202012.create_resource(schemas.openapi())
    )
    return Draft202012Validator(
        {"$ref": f"{DOC_URI}#/components/schemas/{component}"}, registry=registry
    )


def test_committed_yaml_is_the_built_document() -> None:
    assert schemas.openapi() == build()
    assert _committed_text() == render(build())
    assert main(["--check"]) == 0


def test_it_is_a_valid_openapi_3_1_document() -> None:
    validator_module = pytest.importorskip("openapi_spec_validator")
    document = schemas.openapi()
    assert document["openapi"] == "3.1.0"
    validator_module.validate(document, cls=validator_module.OpenAPIV31SpecValidator)


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


def test_error_responses_use_the_error_schema() -> None:
    responses = schemas.openapi()["components"]["responses"]
    for response in responses.values():
        schema = response["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}


def test_submit_links_to_job_status_with_the_new_task_id() -> None:
    document = schemas.openapi()
    link = document["paths"][SUBMIT_PATH]["post"]["responses"]["200"]["links"]["GetJobStatus"]
    assert link["operationId"] == document["paths"][STATUS_PATH]["post"]["operationId"]
    assert link["requestBody"] == {"taskIds": ["$response.body#/data/taskId"]}


def test_every_component_schema_is_referenced_and_every_ref_resolves() -> None:
    document = schemas.openapi()
    refs = set(_refs(document))
    components = document["components"]
    for name in components["schemas"]:
        assert f"#/components/schemas/{name}" in refs, f"{name} is never referenced"
    for ref in refs:
        section, _, name = ref.removeprefix("#/components/").partition("/")
        assert ref.startswith("#/components/"), ref
        assert name in components[section], ref


def test_components_carry_no_file_identity() -> None:
    # An $id left in a component would re-base its refs away from the document.
    for name, schema in schemas.openapi()["components"]["schemas"].items():
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


def test_check_fails_on_a_stale_document(monkeypatch: pytest.MonkeyPatch) -> None:
    import schemas.build_openapi as builder

    monkeypatch.setattr(builder, "_committed", lambda: "stale")
    assert main(["--check"]) == 1


# The components must accept exactly what the schema files accept.
COMPONENT_OF = {name: component_name(name) for name in schemas.SCHEMA_NAMES if name != "common"}
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
