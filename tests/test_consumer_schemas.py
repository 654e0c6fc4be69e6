"""The consumer schema layer (`schemas/consumer/`): what a client may rely on.

It accepts every documented sample and everything the strict layer (the mock's exact output)
accepts, plus what the docs leave open; it still refuses what breaks a documented fact.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

import fixtures
import schemas


def _completed() -> dict[str, Any]:
    item: dict[str, Any] = copy.deepcopy(
        fixtures.load("quickstart/job_status_response.json")["data"][2]
    )
    assert item["status"] == 1
    return item


SAMPLES = [
    ("submit_response", "quickstart/submit_response.json"),
    ("submit_response", "api_reference/submit_response.json"),
    ("submit_response", "api_reference/error_quota.json"),
    ("submit_response", "api_reference/error_concurrency.json"),
    ("job_status_response", "quickstart/job_status_response.json"),
]


@pytest.mark.parametrize(("name", "sample"), SAMPLES)
def test_every_documented_sample_is_valid_in_both_layers(name: str, sample: str) -> None:
    body = fixtures.load(sample)
    assert schemas.errors(name, body) == []
    assert schemas.errors(name, body, layer="consumer") == []


def _open_bodies() -> dict[str, tuple[str, Any]]:
    """Bodies the docs allow but the mock never sends: consumer-valid, strict-invalid."""
    with_image = {**_completed(), "image": "https://cdn.midjourney.com/j/grid_0.png"}
    return {
        "any extra field": ("task", {**_completed(), "seed": 7}),
        "submit without message": ("submit_response", {"status": 0, "data": {"taskId": "abc"}}),
        "error without data": ("error", {"status": 1001, "message": "quota not enough"}),
        "error with only a status": ("error", {"status": 403}),
        "failed item without createdAt": (
            "task",
            {"taskId": "abc", "status": 2, "failReason": "task not found"},
        ),
        "extra field in an envelope": (
            "job_status_response",
            {"status": "0", "message": "ok", "code": 0, "data": [with_image]},
        ),
    }


def test_what_the_python_guide_reads_is_valid_in_both_layers() -> None:
    """The guide reads `image` and shows the hook envelope without `message`; the mock sends
    both, so the strict layer holds them as well as the consumer layer."""
    with_image = {**_completed(), "image": "https://cdn.midjourney.com/j/grid_0.png"}
    envelope = {"status": 0, "data": with_image}
    for name, body in (("task", with_image), ("hook_payload", envelope)):
        assert schemas.errors(name, body) == []
        assert schemas.errors(name, body, layer="consumer") == []
    assert schemas.errors("task", {**with_image, "image": 7}, layer="consumer") != []


@pytest.mark.parametrize("case", sorted(_open_bodies()))
def test_the_consumer_layer_allows_what_the_docs_leave_open(case: str) -> None:
    name, body = _open_bodies()[case]
    assert schemas.errors(name, body, layer="consumer") == []
    assert schemas.errors(name, body) != [], "the strict layer describes the mock's exact output"


def _broken() -> dict[str, tuple[str, Any, str]]:
    no_prompt = _completed()
    del no_prompt["mjPrompt"]
    three = {**_completed(), "images": _completed()["images"][:3]}
    width = _completed()
    width["meta"]["width"] = "816"
    return {
        "mjPrompt missing": ("task", no_prompt, "mjPrompt: is required"),
        "three images": ("task", three, "images: must have at least 4 items"),
        "width a string": ("task", width, "meta.width"),
        "image not a URL": ("task", {**_completed(), "image": 3}, "image"),
        "failed without a reason": ("task", {"taskId": "a", "status": 2}, "failReason"),
        "success status a word": (
            "submit_response",
            {"status": "success", "data": {"taskId": "a"}},
            "status",
        ),
        "error status 0": ("error", {"status": 0}, "must not be 0"),
        "no data list": ("job_status_response", {"status": 0}, "data: is required"),
    }


@pytest.mark.parametrize("case", sorted(_broken()))
def test_the_consumer_layer_still_holds_the_documented_facts(case: str) -> None:
    name, body, why = _broken()[case]
    messages = schemas.errors(name, body, layer="consumer")
    assert any(why in message for message in messages), messages


def test_a_layer_is_named_and_known() -> None:
    assert schemas.LAYERS == ("strict", "consumer")
    with pytest.raises(KeyError, match="unknown schema layer"):
        schemas.validate("task", {}, layer="loose")
    with pytest.raises(KeyError, match="consumer layer"):
        schemas.validate("submit_request", {}, layer="consumer")
    assert schemas.load("task", layer="consumer")["$id"].endswith("/consumer/task.schema.json")


@pytest.mark.parametrize("variant", sorted(schemas.OPENAPI_FILES))
def test_the_openapi_documents_say_which_layer_they_describe(variant: str) -> None:
    info = schemas.openapi(variant)["info"]
    assert info["x-schema-layer"] == "strict"
    assert "schemas/consumer/" in info["x-consumer-schemas"]
