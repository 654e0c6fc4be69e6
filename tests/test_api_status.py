"""job-status over HTTP: order, duplicates, ownership, limits and the envelope switch."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

import schemas
from mock_server import Config, ManualClock, MidjourneyBackend, create_app

from .support import KEY, OTHER_KEY, STATUS, Post, assert_error, status_items, submit_ok


def test_items_follow_request_order_with_duplicates_collapsed(post: Post) -> None:
    first, second = submit_ok(post, "one"), submit_ok(post, "two")
    items = status_items(post, second, first, second, first)
    assert [item["taskId"] for item in items] == [second, first]
    assert all(item["status"] == 0 for item in items)


def test_unknown_and_foreign_ids_are_left_out(post: Post) -> None:
    mine = submit_ok(post, "mine")
    theirs_response = post("/midjourney/v1/submit-jobs", {"prompt": "theirs"}, key=OTHER_KEY)
    theirs = theirs_response.get_json()["data"]["taskId"]
    assert [i["taskId"] for i in status_items(post, "nope", theirs, mine)] == [mine]
    assert status_items(post, mine, key=OTHER_KEY) == []


def test_empty_list_gives_empty_data(post: Post) -> None:
    assert status_items(post) == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, ("taskIds", "required")),
        ({"taskIds": "abc"}, ("taskIds", "array")),
        ({"taskIds": [1]}, ("taskIds", "string")),
        ({"taskIds": ["a"] * 101}, ("taskIds", "100")),
    ],
)
def test_bad_requests_get_400(post: Post, body: object, words: tuple[str, ...]) -> None:
    assert_error(post(STATUS, body), 400, 400, *words)


def test_status_needs_a_key(post: Post) -> None:
    assert_error(post(STATUS, {"taskIds": []}, key=None), 401, 401)


def test_envelope_switch_adds_status_and_message(clock: ManualClock) -> None:
    config = Config(api_keys={KEY: 10}, clock=clock, job_status_envelope=True)
    client = create_app(config).test_client()
    body = client.post(STATUS, json={"taskIds": []}, headers={"API-KEY": KEY}).get_json()
    schemas.validate("job_status_response", body)
    assert body == {"status": 0, "message": "success", "data": []}


def test_every_state_validates_in_both_status_forms(clock: ManualClock) -> None:
    for as_string in (False, True):
        config = Config(api_keys={KEY: 100}, clock=clock, status_as_string=as_string)
        backend = MidjourneyBackend(config)
        client = create_app(backend=backend).test_client()

        def submit(prompt: str, mode: str = "fast", client: FlaskClient = client) -> str:
            body = client.post(
                "/midjourney/v1/submit-jobs",
                json={"prompt": prompt, "mode": mode},
                headers={"API-KEY": KEY},
            ).get_json()
            task_id: str = body["data"]["taskId"]
            return task_id

        done, failed = submit("a dog --ar 9:16"), submit("x --p 123123")
        running = submit("slow", mode="relaxed")
        backend.advance(55)
        body = client.post(
            STATUS, json={"taskIds": [done, failed, running]}, headers={"API-KEY": KEY}
        ).get_json()
        schemas.validate("job_status_response", body)
        states = {item["taskId"]: str(item["status"]) for item in body["data"]}
        assert states == {done: "1", failed: "2", running: "0"}
        # Only envelope codes switch form; task statuses are integers in every documented sample.
        assert all(type(item["status"]) is int for item in body["data"])
