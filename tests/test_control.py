"""The /__mock control API: validation, token, switch-off, and the CDN's refusals."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

import schemas
from mock_server import Config, ManualClock, create_app

from .support import KEY, Post, assert_error, submit_ok


def test_health_and_clock(http: FlaskClient, clock: ManualClock) -> None:
    health = http.get("/__mock/health").get_json()
    schemas.validate("control_health", health)
    assert health["clock"] == "manual" and health["tasks"] == 0
    advanced = http.post("/__mock/clock/advance", json={"seconds": 12.5}).get_json()
    schemas.validate("control_clock", advanced)
    assert advanced["now"] == clock.now() == 1_766_900_012.5
    assert http.get("/__mock/clock").get_json()["nowMillis"] == 1_766_900_012_500


def test_advance_needs_a_manual_clock() -> None:
    client = create_app(Config(api_keys={KEY: 1})).test_client()
    assert_error(client.post("/__mock/clock/advance", json={"seconds": 1}), 409, 409, "manual")


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/__mock/clock/advance", {"seconds": -1}, ("seconds",)),
        ("/__mock/clock/advance", {}, ("seconds", "required")),
        ("/__mock/keys", {"key": "k", "quota": -1}, ("quota",)),
        ("/__mock/keys", {"key": "k"}, ("quota", "required")),
        ("/__mock/faults", {"kind": "status"}, ("status",)),
        ("/__mock/faults", {"kind": "explode"}, ("kind",)),
        ("/__mock/faults", {"kind": "drop", "count": 1, "probability": 0.5}, ("probability",)),
    ],
)
def test_control_bodies_are_validated(
    http: FlaskClient, path: str, body: object, words: tuple[str, ...]
) -> None:
    assert_error(http.post(path, json=body), 400, 400, *words)


def test_unknown_tasks_are_404(http: FlaskClient) -> None:
    assert_error(http.get("/__mock/tasks/nope"), 404, 404, "nope")
    assert_error(http.post("/__mock/tasks/nope/complete"), 404, 404)
    assert_error(http.post("/__mock/tasks/nope/fail"), 404, 404)


def test_fail_without_a_body_uses_a_default_reason(post: Post, http: FlaskClient) -> None:
    task_id = submit_ok(post)
    view = http.post(f"/__mock/tasks/{task_id}/fail").get_json()
    schemas.validate("control_task", view)
    assert view["status"] == 2 and view["failReason"] and view["refunded"] is True


def test_keys_listing_counts_in_progress(post: Post, http: FlaskClient) -> None:
    submit_ok(post)
    keys = http.get("/__mock/keys").get_json()
    schemas.validate("control_keys", keys)
    mine = next(k for k in keys["keys"] if k["key"] == KEY)
    assert mine == {"key": KEY, "quota": 998, "charged": 2, "refunded": 0, "inProgress": 1}


def test_a_token_protects_the_control_api(clock: ManualClock) -> None:
    client = create_app(
        Config(api_keys={KEY: 1}, clock=clock, control_token="s3cret")
    ).test_client()
    assert_error(client.post("/__mock/reset"), 401, 401, "X-Mock-Token")
    assert_error(client.post("/__mock/reset", headers={"X-Mock-Token": "wrong"}), 401, 401)
    assert client.post("/__mock/reset", headers={"X-Mock-Token": "s3cret"}).status_code == 200
    bearer = client.get("/__mock/health", headers={"Authorization": "Bearer s3cret"})
    assert bearer.status_code == 200


def test_the_control_api_can_be_switched_off(clock: ManualClock) -> None:
    client = create_app(Config(api_keys={KEY: 1}, clock=clock, control_enabled=False)).test_client()
    assert_error(client.post("/__mock/reset"), 404, 404)
    assert (
        client.post(
            "/midjourney/v1/submit-jobs", json={"prompt": "x"}, headers={"API-KEY": KEY}
        ).status_code
        == 200
    )


def test_cdn_refuses_unknown_jobs_and_unfinished_tasks(post: Post, http: FlaskClient) -> None:
    task_id = submit_ok(post)
    job_id = http.get(f"/__mock/tasks/{task_id}").get_json()["jobId"]
    assert_error(http.get(f"/cdn/{job_id}/0_0.png"), 404, 404, job_id)  # still in progress
    http.post(f"/__mock/tasks/{task_id}/complete")
    assert http.get(f"/cdn/{job_id}/0_3.png").mimetype == "image/png"
    assert_error(http.get(f"/cdn/{job_id}/0_4.png"), 404, 404, "0_4.png")
    assert_error(http.get("/cdn/unknown/0_0.png"), 404, 404)
