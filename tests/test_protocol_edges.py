"""Issue 13, protocol edges: each answer in the API's JSON shape, with the status that fits."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from mock_server import Config, ManualClock, MidjourneyBackend, MockServer, create_app
from mock_server.cli import main
from mock_server.config import ConfigError
from mock_server.errors import InvalidRequest

from .support import KEY, STATUS, SUBMIT, Post, assert_error, submit_ok


def test_completing_a_finished_task_is_a_409(post: Post, http: FlaskClient) -> None:
    task_id = submit_ok(post)
    assert http.post(f"/__mock/tasks/{task_id}/complete").status_code == 200
    assert_error(http.post(f"/__mock/tasks/{task_id}/complete"), 409, 409, "already finished")
    assert_error(http.post(f"/__mock/tasks/{task_id}/fail", json={}), 409, 409, "already finished")


def test_advancing_a_real_clock_is_a_409() -> None:
    client = create_app(Config(api_keys={KEY: 1})).test_client()
    assert_error(client.post("/__mock/clock/advance", json={"seconds": 1}), 409, 409, "manual")


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (SUBMIT, "POST"),
        (STATUS, "POST"),
        ("/__mock/tasks", "GET"),
        ("/__mock/faults", "DELETE, GET, POST"),
    ],
)
def test_options_is_a_json_405_with_allow(http: FlaskClient, path: str, allowed: str) -> None:
    """Flask answered OPTIONS with an empty 200; without CORS configured it is a 405."""
    response = http.open(path, method="OPTIONS")
    assert_error(response, 405, 405, "OPTIONS", "CORS")
    assert response.headers["Allow"] == allowed


@pytest.mark.parametrize("path", ["/midjourney//v1/submit-jobs", "/__mock//reset"])
def test_a_double_slash_is_a_json_404_not_a_redirect(http: FlaskClient, path: str) -> None:
    response = http.post(path, json={"prompt": "a cat"}, headers={"API-KEY": KEY})
    assert_error(response, 404, 404)
    assert "Location" not in response.headers


def _raw_get(server: MockServer, path: bytes, host: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"GET " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n"
        )
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


def test_a_double_slash_over_http_names_no_host() -> None:
    """The 308 used to carry a Location built from the Host header. An inner `//` is now a
    404; a leading one (which waitress passes on whole) is read as one slash, with no redirect."""
    with MockServer(Config(clock=ManualClock()), port=0) as server:
        for path in (b"/__mock//health", b"/midjourney//v1/job-status"):
            reply = _raw_get(server, path, b"attacker.example")
            head = reply.split(b"\r\n\r\n", 1)[0].lower()
            assert head.startswith(b"http/1.1 404") and b"location:" not in head, reply
            assert b"attacker.example" not in reply and b'"status":404' in reply
        reply = _raw_get(server, b"//__mock/health", b"127.0.0.1")
        assert reply.startswith(b"HTTP/1.1 200") and b"location:" not in reply.lower()


@pytest.mark.parametrize(
    ("body", "key"),
    [
        (b'{"prompt": "", "prompt": "a cat"}', "prompt"),
        (b'{"taskIds": [], "taskIds": ["x"]}', "taskIds"),
        (b'{"prompt": "a cat", "x": {"a": 1, "a": 2}}', "a"),
    ],
)
def test_duplicate_json_keys_are_refused_naming_the_key(post: Post, body: bytes, key: str) -> None:
    path = STATUS if b"taskIds" in body else SUBMIT
    response = post(path, data=body, headers={"Content-Type": "application/json"})
    assert_error(response, 400, 400, f"key {key!r} appears more than once")


@pytest.mark.parametrize("key", [" trial", "trial ", "cl\u00e9", "k\u00a0y", "tab\there"])
def test_a_key_that_no_header_can_carry_is_refused_everywhere(http: FlaskClient, key: str) -> None:
    response = http.post("/__mock/keys", json={"key": key, "quota": 10})
    assert_error(response, 400, 400, "key")
    with pytest.raises(ConfigError, match="printable ASCII"):
        Config(api_keys={key: 10})
    backend = MidjourneyBackend(Config(clock=ManualClock()))
    with pytest.raises(InvalidRequest, match="printable ASCII"):
        backend.add_key(key, 10)


def test_the_cli_refuses_an_unusable_key() -> None:
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--api-key", "cl\u00e9:10"])
    assert result.exit_code == 2
    assert "printable ASCII" in result.output


def test_a_key_with_inner_spaces_still_works(http: FlaskClient) -> None:
    assert http.post("/__mock/keys", json={"key": "team key", "quota": 10}).status_code == 200
    answer = http.post(STATUS, json={"taskIds": []}, headers={"API-KEY": "team key"})
    assert answer.status_code == 200
