"""The performance paths give the answers the plain paths give: orjson writes what json wrote, a
cached item is the rendered item, and the plain-WSGI fast path answers (and journals) exactly as
the Flask views do, stepping aside for everything it does not serve."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import Client

from mock_server import Config, ManualClock
from mock_server.compose import create_app
from mock_server.domain.lifecycle import MidjourneyBackend
from mock_server.web.fastpath import FastPath
from mock_server.web.journal import journal_for
from mock_server.web.jsonenc import dumps
from mock_server.web.wire import ItemCache, item_cache_key, job_status_body, task_item

KEY = "fast-key"
SUBMIT = "/midjourney/v1/submit-jobs"
STATUS = "/midjourney/v1/job-status"
HEADERS = {"API-KEY": KEY, "Content-Type": "application/json"}

texts = st.text(alphabet=st.characters(exclude_categories=["Cs"]))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | texts,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(texts, inner, max_size=5),
    max_leaves=20,
)


def _json_text(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@given(json_values)
def test_orjson_writes_the_bytes_the_standard_library_wrote(value: Any) -> None:
    assert dumps(value) == _json_text(value)


def test_what_orjson_refuses_is_still_encoded() -> None:
    assert dumps({"big": 2**70, "1": [1]}) == b'{"big":1180591620717411303424,"1":[1]}'
    assert dumps({1: "a"}) == b'{"1":"a"}'


def _backend(**changes: Any) -> MidjourneyBackend:
    return MidjourneyBackend(
        Config(api_keys={KEY: 10_000}, clock=ManualClock(start=1_000.0), seed=3, **changes)
    )


def _submit(client: Client, prompt: str = "a heron 🐦 --ar 16:9") -> str:
    response = client.post(SUBMIT, data=json.dumps({"prompt": prompt}), headers=HEADERS)
    assert response.status_code == 200, response.get_data()
    task_id: str = response.get_json()["data"]["taskId"]
    return task_id


def test_a_cached_item_is_the_rendered_item_and_follows_the_config() -> None:
    backend = _backend()
    client = Client(create_app(backend=backend))
    task_id = _submit(client)
    backend.advance(3600)
    task = backend.get_task(task_id)
    config = backend.config
    cache = ItemCache()
    fragment = cache.item(task, config, item_cache_key(config))
    assert json.loads(dumps([fragment])) == [task_item(task, config)]
    assert cache.item(task, config, item_cache_key(config)) is fragment
    config.image_base_url = "http://elsewhere.test/cdn"
    moved = json.loads(dumps(job_status_body([task], config, cache=cache)))
    assert moved["data"][0]["image"].startswith("http://elsewhere.test/cdn/")
    assert moved == job_status_body([task], config)


def test_the_item_cache_is_bounded_and_cleared_by_a_reset() -> None:
    from mock_server.web.provider import item_cache_for

    backend = _backend()
    client = Client(create_app(backend=backend))
    ids = [_submit(client, f"a fox {n}") for n in range(5)]
    backend.advance(3600)
    small = ItemCache(size=3)
    key = item_cache_key(backend.config)
    for task in backend.tasks():
        small.item(task, backend.config, key)
    assert len(small) == 3
    client.post(STATUS, data=json.dumps({"taskIds": ids}), headers=HEADERS)
    assert len(item_cache_for(backend)) == 5
    backend.reset()
    assert len(item_cache_for(backend)) == 0


def _pair(**changes: Any) -> tuple[Client, Client, MidjourneyBackend, MidjourneyBackend]:
    """A Flask-only mock and a fast-path mock, alike in config and seed."""
    plain, fast = _backend(**changes), _backend(**changes)
    return (
        Client(create_app(backend=plain)),
        Client(FastPath(create_app(backend=fast), fast)),
        plain,
        fast,
    )


def _exchange(client: Client, path: str, body: bytes, headers: dict[str, str]) -> tuple[Any, ...]:
    response = client.post(path, data=body, headers=headers)
    return response.status_code, response.headers.get("Content-Type"), response.get_data()


REQUESTS: list[tuple[str, bytes, dict[str, str]]] = [
    (SUBMIT, b'{"prompt": "a fox", "mode": "relaxed"}', HEADERS),
    (SUBMIT, b'{"prompt": "a fox", "hookUrl": "http://127.0.0.1:9/h"}', HEADERS),
    (STATUS, b'{"taskIds": ["unknown-id"]}', HEADERS),
    (SUBMIT, b'{"prompt": ""}', HEADERS),  # invalid: jsonschema's message, from Flask
    (SUBMIT, b'{"prompt": "x", "prompt": "y"}', HEADERS),
    (SUBMIT, b'{"prompt": "a fox"}', {**HEADERS, "API-KEY": "wrong"}),
    (SUBMIT, b'{"prompt": "a fox"}', {"Content-Type": "application/json"}),
    (SUBMIT, b'{"prompt": "a fox"}', {**HEADERS, "Content-Type": "text/plain"}),
    (STATUS, b'{"taskIds": "nope"}', HEADERS),
    (STATUS, b"[1, 2", HEADERS),
    (SUBMIT + "?x=1", b'{"prompt": "a fox"}', HEADERS),
]


def _without_ids(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in entry.items() if k != "id"} for entry in entries]


def test_the_fast_path_answers_and_journals_as_flask_does() -> None:
    plain_client, fast_client, plain, fast = _pair()
    for path, body, headers in REQUESTS:
        assert _exchange(fast_client, path, body, headers) == _exchange(
            plain_client, path, body, headers
        ), (path, body, headers)
    plain.advance(3600)
    fast.advance(3600)
    ids = [task.task_id for task in plain.tasks()] + ["unknown-id"]
    assert ids[:-1] == [task.task_id for task in fast.tasks()]
    body = json.dumps({"taskIds": ids * 30}).encode()
    for _ in range(2):  # the second answer comes from the item cache
        assert _exchange(fast_client, STATUS, body, HEADERS) == _exchange(
            plain_client, STATUS, body, HEADERS
        )
    assert _without_ids(journal_for(fast).entries()) == _without_ids(journal_for(plain).entries())
    assert [a.balance for a in fast.accounts()] == [a.balance for a in plain.accounts()]


def test_the_fast_path_steps_aside_for_faults_and_cors() -> None:
    _, fast_client, _, fast = _pair(cors_origins=["http://app.test"])
    response = fast_client.post(
        SUBMIT, data=b'{"prompt": "a fox"}', headers={**HEADERS, "Origin": "http://app.test"}
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://app.test"
    fast.config.cors_origins = []
    fast.faults.add({"kind": "http", "status": 503, "endpoint": "job-status"})
    response = fast_client.post(STATUS, data=b'{"taskIds": ["a"]}', headers=HEADERS)
    assert response.status_code == 503
    assert "injected fault" in response.get_json()["message"]
    response = fast_client.post(STATUS, data=b'{"taskIds": ["a"]}', headers=HEADERS)
    assert response.status_code == 200


def test_the_fast_path_serves_the_happy_path_itself() -> None:
    backend = _backend()

    def no_flask(environ: Any, start_response: Any) -> Any:
        raise AssertionError(f"Flask was called for {environ['PATH_INFO']}")

    client = Client(FastPath(no_flask, backend))
    task_id = _submit(client)
    response = client.post(STATUS, data=json.dumps({"taskIds": [task_id]}), headers=HEADERS)
    assert response.get_json()["data"] == [{"taskId": task_id, "status": 0}]


def test_a_hook_receiver_calling_the_api_during_advance_is_answered() -> None:
    """The receiver polls job-status from inside its hook handler while `advance` waits for
    that delivery: the fast path and the control threads must not stall each other."""
    import http.server
    import threading
    import time

    import requests

    from mock_server import HookPolicy, MockServer

    config = Config(
        api_keys={KEY: 10_000},
        clock=ManualClock(),
        seed=3,
        hooks=HookPolicy(retries=0, attempt_timeout=10.0, allow_self=False),
    )
    seen: list[tuple[int, Any]] = []
    with MockServer(config, port=0) as server:

        class Receiver(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                task_id = payload["data"]["taskId"]
                answer = requests.post(
                    server.url + STATUS, json={"taskIds": [task_id]}, headers=HEADERS, timeout=5
                )
                seen.append((answer.status_code, answer.json()["data"][0]["status"]))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        thread = threading.Thread(target=receiver.serve_forever, daemon=True)
        thread.start()
        try:
            hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
            for n in range(3):
                requests.post(
                    server.url + SUBMIT,
                    json={"prompt": f"a cat {n}", "hookUrl": hook},
                    headers=HEADERS,
                    timeout=5,
                )
            started = time.monotonic()
            advanced = requests.post(
                server.url + "/__mock/clock/advance", json={"seconds": 3600}, timeout=30
            )
            took = time.monotonic() - started
        finally:
            receiver.shutdown()
            receiver.server_close()
    assert advanced.status_code == 200
    # Each receiver saw its task finished (1 or 2, as the seed planned), not still running.
    assert len(seen) == 3, seen
    assert all(code == 200 and status in (1, 2) for code, status in seen), seen
    assert took < 5.0, took
