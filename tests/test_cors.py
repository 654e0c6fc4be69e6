"""`--cors`: browsers may call the API and the CDN from allowed origins, never the control API."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from mock_server import Config, ManualClock, create_app

KEY = "k"
SUBMIT = "/midjourney/v1/submit-jobs"
PREFLIGHT = {
    "Origin": "http://app.test",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "api-key, content-type",
}


def _client(*origins: str) -> FlaskClient:
    config = Config(api_keys={KEY: 100}, clock=ManualClock(), cors_origins=origins)
    return create_app(config).test_client()


def test_a_preflight_is_answered_for_an_allowed_origin() -> None:
    response = _client("http://app.test").options(SUBMIT, headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://app.test"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "api-key" in allowed and "content-type" in allowed


def test_answers_carry_the_header_and_other_origins_get_none() -> None:
    client = _client("http://app.test", "http://other.test")
    ok = client.post(
        SUBMIT, json={"prompt": "x"}, headers={"API-KEY": KEY, "Origin": "http://app.test"}
    )
    assert ok.headers["Access-Control-Allow-Origin"] == "http://app.test"
    assert "Origin" in ok.headers.get("Vary", "")
    refused = client.post(SUBMIT, json={"prompt": "x"}, headers={"Origin": "http://evil.test"})
    assert refused.status_code == 401
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_a_star_allows_any_origin_on_the_cdn_too() -> None:
    client = _client("*")
    task_id = client.post(SUBMIT, json={"prompt": "x"}, headers={"API-KEY": KEY}).get_json()
    assert task_id["status"] == 0
    image = client.get("/cdn/nojob/0_0.png", headers={"Origin": "http://any.test"})
    assert image.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("origins", [("*",), ("http://app.test",)])
def test_never_on_the_control_api(origins: tuple[str, ...]) -> None:
    client = _client(*origins)
    for response in (
        client.get("/__mock/health", headers={"Origin": "http://app.test"}),
        client.options("/__mock/reset", headers=PREFLIGHT),
    ):
        assert "Access-Control-Allow-Origin" not in response.headers


def test_off_by_default() -> None:
    response = _client().options(SUBMIT, headers=PREFLIGHT)
    assert "Access-Control-Allow-Origin" not in response.headers
