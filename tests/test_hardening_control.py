"""Issue 13, control plane: a web page or a rebinding DNS name must not drive `/__mock/`, and a
hookUrl must not aim the mock at itself. Each test is one finding of the audit, reproduced."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from mock_server import Config, HookPolicy, ManualClock, MockServer, create_app
from mock_server.addresses import is_loopback, reaches_this_mock
from mock_server.modes.inprocess import mock_midjourney
from mock_server.modes.server import ensure_control_token

from .support import KEY, SUBMIT, assert_error

RESET = "/__mock/reset"


@pytest.fixture
def client() -> FlaskClient:
    return create_app(Config(api_keys={KEY: 100}, clock=ManualClock())).test_client()


def _submit(client: FlaskClient, **headers: str) -> Any:
    return client.post(
        SUBMIT, json={"prompt": "a cat"}, headers={"API-KEY": KEY, **headers}
    ).get_json()


def _task_count(client: FlaskClient) -> int:
    return int(client.get("/__mock/health").get_json()["tasks"])


# -- Host: DNS rebinding -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:8080", "127.0.0.1:8080", "127.9.8.7", "[::1]:8080", "app.localhost"],
)
def test_loopback_hosts_reach_the_control_api(client: FlaskClient, host: str) -> None:
    assert client.get("/__mock/health", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8080", "10.0.0.5:8080"])
def test_a_rebinding_host_is_refused_with_403_in_the_api_shape(
    client: FlaskClient, host: str
) -> None:
    _submit(client)
    assert_error(client.post(RESET, headers={"Host": host}), 403, 403, "Host")
    assert_error(client.get("/__mock/keys", headers={"Host": host}), 403, 403, "Host")
    assert _task_count(client) == 1  # the reset did not happen


def test_provider_routes_accept_any_host(client: FlaskClient) -> None:
    """[decision] Clients reach the mock under names of their own (a compose service name)."""
    body = _submit(client, Host="mock:8080")
    assert body["status"] == 0


def test_configured_control_hosts_and_a_token_lift_the_host_check() -> None:
    named = create_app(Config(clock=ManualClock(), control_hosts=frozenset({"mock"})))
    assert (
        named.test_client().get("/__mock/health", headers={"Host": "mock:8080"}).status_code == 200
    )
    tokened = create_app(Config(clock=ManualClock(), control_token="t0k"))
    headers = {"Host": "mock:8080", "X-Mock-Token": "t0k"}
    assert tokened.test_client().get("/__mock/health", headers=headers).status_code == 200


def test_the_servers_own_host_is_allowed() -> None:
    with MockServer(Config(clock=ManualClock()), host="localhost", port=0) as server:
        answer = requests.get(server.url + "/__mock/health", timeout=10)
        assert answer.status_code == 200


# -- Origin and Content-Type: CSRF from a page the developer visits --------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", "{}"),
        ("application/x-www-form-urlencoded", "a=1"),
        ("multipart/form-data; boundary=x", "--x--"),
    ],
)
def test_a_simple_cross_site_post_is_refused_with_415(
    client: FlaskClient, content_type: str, body: str
) -> None:
    """The three Content-Types a page may POST without a CORS preflight."""
    _submit(client)
    response = client.post(RESET, data=body, headers={"Content-Type": content_type})
    assert_error(response, 415, 415, "application/json")
    assert _task_count(client) == 1


def test_a_control_post_with_json_or_without_a_body_is_served(client: FlaskClient) -> None:
    assert client.post(RESET).status_code == 200  # what MockController sends
    assert client.post(RESET, json={}).status_code == 200
    assert client.delete("/__mock/faults").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost:9999"},  # another port is another origin
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_cross_origin_control_requests_are_refused(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    """Also what keeps `/__mock/keys`, which lists full keys, away from other pages."""
    _submit(client)
    assert_error(client.get("/__mock/keys", headers=headers), 403, 403)
    assert_error(client.post(RESET, json={}, headers=headers), 403, 403)
    assert _task_count(client) == 1


def test_the_mocks_own_origin_is_served(client: FlaskClient) -> None:
    headers = {"Host": "localhost:8080", "Origin": "http://localhost:8080"}
    assert client.get("/__mock/keys", headers=headers).status_code == 200


# -- a hookUrl aimed at the mock itself ----------------------------------------------------------


@pytest.fixture
def server() -> Iterator[MockServer]:
    config = Config(api_keys={KEY: 100}, clock=ManualClock(), max_in_progress=50)
    with MockServer(config, port=0) as server:
        yield server


def _journal_for(server: MockServer, hook_url: str) -> dict[str, Any]:
    answer = requests.post(
        server.url + SUBMIT,
        json={"prompt": "a cat", "hookUrl": hook_url},
        headers={"API-KEY": KEY},
        timeout=10,
    )
    task_id = answer.json()["data"]["taskId"]
    requests.post(server.url + "/__mock/clock/advance", json={"seconds": 60}, timeout=30)
    hooks = requests.get(server.url + "/__mock/hooks", timeout=10).json()["hooks"]
    (attempt,) = [h for h in hooks if h["taskId"] == task_id]
    return dict(attempt)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "127.1", "2130706433", "[::1]", "0.0.0.0", "LOCALHOST."]
)
def test_a_hook_to_the_mocks_own_address_is_refused_and_never_sent(
    server: MockServer, host: str
) -> None:
    attempt = _journal_for(server, f"http://{host}:{server.port}{RESET}")
    assert attempt["outcome"] == "refused", attempt
    assert "own address" in attempt["error"] and "allow_self" in attempt["error"]
    assert attempt["sentAt"] is None
    assert server.backend.task_count() == 1  # the mock did not reset itself


def test_allow_self_delivers_to_the_mock_anyway() -> None:
    config = Config(
        api_keys={KEY: 100}, clock=ManualClock(), hooks=HookPolicy(allow_self=True, retries=0)
    )
    with MockServer(config, port=0) as server:
        attempt = _journal_for(server, f"http://127.0.0.1:{server.port}/__mock/health")
        assert attempt["outcome"] != "refused" and attempt["sentAt"] is not None


def test_in_process_a_hook_to_the_intercepted_api_is_refused() -> None:
    with mock_midjourney(Config(api_keys={KEY: 10}, clock=ManualClock())) as mj:
        answer = requests.post(
            mj.base_url + SUBMIT,
            json={"prompt": "a cat", "hookUrl": mj.base_url + RESET},
            headers={"API-KEY": KEY},
            timeout=10,
        )
        assert answer.json()["status"] == 0
        mj.advance(60)
        (attempt,) = mj.hooks
        assert attempt["outcome"] == "refused"


def test_loopback_and_own_address_rules() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.255.0.1", "::1", "[::1]", "::ffff:127.0.0.1"]))
    assert not any(map(is_loopback, ["10.0.0.1", "example.com", "localhost.example", ""]))
    own = [("0.0.0.0", 8080)]
    assert reaches_this_mock("192.0.2.1", 8080, [("192.0.2.1", 8080)])
    assert reaches_this_mock("localhost", 8080, own)
    assert not reaches_this_mock("localhost", 8081, own)
    assert not reaches_this_mock("example.com", 8080, [("127.0.0.1", 8080)])


# -- beyond loopback, a token --------------------------------------------------------------------


def test_binding_beyond_loopback_without_a_token_generates_one() -> None:
    """[decision] Generate rather than refuse: `--host 0.0.0.0` in a container still starts."""
    config = Config()
    assert ensure_control_token(config, "0.0.0.0")
    assert config.control_token and len(config.control_token) >= 32
    kept = Config(control_token="mine")
    assert not ensure_control_token(kept, "0.0.0.0") and kept.control_token == "mine"
    for host in ("127.0.0.1", "localhost", "::1"):
        loopback = Config()
        assert not ensure_control_token(loopback, host) and loopback.control_token is None
    closed = Config(control_enabled=False)
    assert not ensure_control_token(closed, "0.0.0.0") and closed.control_token is None
