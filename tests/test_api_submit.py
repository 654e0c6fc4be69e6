"""submit-jobs over HTTP: success, every refusal, and the status-style switch."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from mock_server import Config, MidjourneyBackend, create_app

from .support import KEY, SUBMIT, Post, assert_error, submit_ok


def test_submit_returns_a_task_id_in_the_documented_shape(post: Post) -> None:
    task_id = submit_ok(post, "A cute kitten", mode="fast", hookUrl="<string>")
    assert len(task_id) == 21


def test_status_is_integer_by_default_and_string_with_the_switch(config: Config) -> None:
    for as_string, expected in ((False, 0), (True, "0")):
        app = create_app(config.with_overrides(status_as_string=as_string))
        body = app.test_client().post(SUBMIT, json={"prompt": "x"}, headers={"API-KEY": KEY})
        assert body.get_json()["status"] == expected


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({}, "prompt", "required"),
        ({"prompt": ""}, "prompt", ""),
        ({"prompt": "   "}, "prompt", ""),
        ({"prompt": 12}, "prompt", "string"),
        ({"prompt": "x", "mode": "turbo"}, "mode", "turbo"),
        ({"prompt": "x", "mode": "relax"}, "mode", "relax"),
        ({"prompt": "x", "timeout": 299}, "timeout", "300"),
        ({"prompt": "x", "timeout": 1201}, "timeout", "1200"),
        ({"prompt": "x", "timeout": 600.5}, "timeout", "integer"),
        ({"prompt": "x", "timeout": "600"}, "timeout", "integer"),
        ({"prompt": "x", "timeout": True}, "timeout", "integer"),
        ([{"prompt": "x"}], "", "object"),
        ("prompt", "", "object"),
    ],
)
def test_invalid_bodies_get_a_400_naming_the_field(
    post: Post, body: object, field: str, reason: str
) -> None:
    assert_error(post(SUBMIT, body), 400, 400, field, reason)


def test_lenient_modes_accept_relax_and_turbo(config: Config) -> None:
    client = create_app(config.with_overrides(lenient_modes=True)).test_client()
    for mode in ("relax", "turbo"):
        response = client.post(SUBMIT, json={"prompt": "x", "mode": mode}, headers={"API-KEY": KEY})
        assert response.get_json()["status"] == 0


def test_timeout_at_both_bounds_is_accepted(post: Post) -> None:
    submit_ok(post, timeout=300)
    submit_ok(post, timeout=1200)


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({}, ("missing API-KEY",)),
        ({"API-KEY": ""}, ("missing API-KEY",)),
        ({"API-KEY": "nope"}, ("invalid API-KEY",)),
        ({"Authorization": f"Bearer {KEY}"}, ("Authorization",)),
    ],
)
def test_bad_keys_get_401(http: FlaskClient, headers: dict[str, str], words: tuple[str]) -> None:
    assert_error(http.post(SUBMIT, json={"prompt": "x"}, headers=headers), 401, 401, *words)


def test_header_name_is_case_insensitive(http: FlaskClient) -> None:
    response = http.post(SUBMIT, json={"prompt": "x"}, headers={"api-key": KEY})
    assert response.get_json()["status"] == 0


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"{not json", ("not valid JSON", "line 1")),
        (b"", ("empty",)),
        (b'{"prompt": "\xff\xfe"}', ("UTF-8",)),
        (b'{"prompt": "x", "timeout": NaN}', ("NaN",)),
        (b"[" * 5_000 + b"]" * 5_000, ("nested",)),
    ],
    ids=["garbage", "empty", "not-utf8", "nan", "deep"],
)
def test_malformed_bodies_get_400(post: Post, data: bytes, words: tuple[str]) -> None:
    response = post(SUBMIT, data=data, content_type="application/json")
    assert_error(response, 400, 400, *words)


def test_wrong_content_type_gets_415(post: Post) -> None:
    response = post(SUBMIT, data=json.dumps({"prompt": "x"}), content_type="text/plain")
    assert_error(response, 415, 415, "application/json", "text/plain")


def test_content_type_check_can_be_switched_off(config: Config) -> None:
    client = create_app(config.with_overrides(require_json_content_type=False)).test_client()
    response = client.post(
        SUBMIT, data='{"prompt": "x"}', content_type="text/plain", headers={"API-KEY": KEY}
    )
    assert response.get_json()["status"] == 0


def test_oversized_body_gets_413(post: Post, config: Config) -> None:
    huge = {"prompt": "x" * (config.max_body_bytes + 10)}
    assert_error(post(SUBMIT, huge), 413, 413, str(config.max_body_bytes))


def test_unknown_route_404_and_wrong_method_405(http: FlaskClient) -> None:
    assert_error(http.post("/midjourney/v1/upscale", json={}), 404, 404, "/midjourney/v1/upscale")
    response = http.get(SUBMIT)
    assert_error(response, 405, 405, "GET")
    assert "POST" in response.headers["Allow"]


def test_unexpected_errors_still_answer_in_the_api_shape(
    post: Post, backend: MidjourneyBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(backend, "submit", explode)
    response = post(SUBMIT, {"prompt": "x"})
    assert_error(response, 500, 500, "internal error")
    assert "boom" not in response.get_data(as_text=True)


def test_a_control_character_prompt_is_accepted_and_fails_later(
    post: Post, backend: MidjourneyBackend
) -> None:
    task_id = submit_ok(post, "\x1c")
    backend.advance(10)
    assert backend.get_task(task_id).fail_reason == "Prompt is empty"
