"""Hostile and broken requests over a real socket: each gets a clear 4xx; the server keeps serving.

Sent as raw bytes to a real server (waitress on a loopback port), because most of these cannot be
said with `requests`: a Content-Length that lies, duplicate headers, bytes that are not UTF-8 in a
header, requests pipelined on one connection, a request that never finishes.

Two layers answer. Whatever reaches the app is refused in the API's own JSON error shape, with
a message that names the problem. waitress refuses a few things before the app ever runs: a
request line or headers it cannot parse (400), headers over its 256 KiB cap (431), a body over
its own cap (413; the app's 64 KiB limit is far below it) and a transfer coding it does not
implement (501, as RFC 9112 asks). Those answers are waitress's plain text unless the server
installs a JSON error task; `assert_refused(..., server=True)` accepts either and checks the
status, so the tests hold before and after that change.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from _pytest.mark import ParameterSet

import schemas
from mock_server import Config, MockServer

KEY = "bad-input-key"
SUBMIT = "/midjourney/v1/submit-jobs"
STATUS = "/midjourney/v1/job-status"
LIMIT = 64 * 1024  # Config.max_body_bytes, the app's limit
SERVER_CAP = 1 << 20  # waitress's max_request_body_size as MockServer sets it for that limit
OK_BODY = b'{"prompt": "a red fox"}'

# Under `pytest --server granian`: granian's HTTP layer (hyper) refuses these requests itself,
# before the mock sees them, with its own empty-bodied 400/414/431 instead of the JSON shape,
# and it allows 100 headers where waitress allows more. Known and documented (README,
# bench/README.md); strict, so a granian that starts answering as waitress does is noticed.
HYPER_ANSWERS_ITSELF = pytest.mark.xfail(
    os.environ.get("MJ_MOCK_SERVER") == "granian",
    reason="granian's hyper answers malformed or oversized requests itself, with no JSON body",
    strict=True,
)


@dataclass
class Reply:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    version: str = "HTTP/1.1"
    extra: list[Reply] = field(default_factory=list)

    @property
    def json(self) -> object:
        return json.loads(self.body)


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    config = Config(api_keys={KEY: 1_000_000}, time_scale=1_000_000, max_in_progress=1_000_000)
    with MockServer(config, port=0) as running:
        yield running


@pytest.fixture(autouse=True)
def still_serving(server: MockServer) -> Iterator[None]:
    """After every abuse, a normal request on a fresh connection is answered at once."""
    yield
    started = time.monotonic()
    reply = exchange(server, request(SUBMIT, OK_BODY))
    assert reply.status == 200, reply
    schemas.validate("submit_response", reply.json)
    assert time.monotonic() - started < 10  # generous: CI machines are busy


# -- raw HTTP ------------------------------------------------------------------------------------


def request(
    path: str,
    body: bytes | None = None,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    content_length: bool = True,
    version: str = "HTTP/1.1",
    close: bool = True,
) -> bytes:
    """A request as bytes; header values are latin-1 so any byte can be sent."""
    fields = {"Host": "127.0.0.1", "API-KEY": KEY, "Content-Type": "application/json"}
    if close:
        fields["Connection"] = "close"
    fields.update(headers or {})
    if content_length and body is not None:
        fields["Content-Length"] = str(len(body))
    head = f"{method} {path} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items())
    return head.encode("latin-1") + b"\r\n" + (body or b"")


def _connect(server: MockServer, timeout: float = 10) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=timeout)


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass  # the server answered and closed while we were still sending: fine, we read it
    return data


def parse(data: bytes) -> Reply:
    """Every response in `data` (pipelining gives several); the first, with the rest in `extra`."""
    replies: list[Reply] = []
    while data:
        head, separator, rest = data.partition(b"\r\n\r\n")
        assert separator, f"incomplete response: {data[:300]!r}"
        status_line, *lines = head.decode("latin-1").split("\r\n")
        version, status, reason = [*status_line.split(" ", 2), ""][:3]
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if status == "100":  # Expect: 100-continue
            data = rest
            continue
        length = int(headers.get("content-length", "0"))
        replies.append(Reply(int(status), reason, headers, rest[:length], version))
        data = rest[length:]
    assert replies, "no response at all"
    first = replies[0]
    first.extra = replies[1:]
    return first


def exchange(server: MockServer, data: bytes, *, timeout: float = 10) -> Reply:
    """Send `data` while reading, so an early answer is read even if the send is cut short."""
    with _connect(server, timeout) as sock:
        sender = threading.Thread(target=_send_quietly, args=(sock, data))
        sender.start()
        received = _read_all(sock)
        sender.join(timeout)
    return parse(received)


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):  # reset after the server refused and closed
        sock.sendall(data)


def assert_refused(reply: Reply, status: int, *words: str, server: bool = False) -> None:
    """A refusal with `status`: the API's JSON error shape, or waitress's own (`server=True`)."""
    assert reply.status == status, reply
    content_type = reply.headers.get("content-type", "")
    if server and content_type.startswith("text/plain"):
        assert b"(generated by mj-mock)" in reply.body, reply
        return
    assert content_type == "application/json", reply
    body = reply.json
    schemas.validate("error", body)
    assert isinstance(body, dict) and int(body["status"]) == status
    for word in words:
        assert word.lower() in body["message"].lower(), body["message"]
    assert len(body["message"]) <= 1000  # nothing the client sent comes back whole


def _chunked(body: bytes, size: int = 16 * 1024) -> bytes:
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


def _prompt_body(length: int) -> bytes:
    return json.dumps({"prompt": "a" * length}).encode()


# -- bodies over the size limit ------------------------------------------------------------------


def test_a_body_over_the_limit_with_content_length(server: MockServer) -> None:
    reply = exchange(server, request(SUBMIT, _prompt_body(LIMIT)))
    assert_refused(reply, 413, "too large", str(LIMIT))


def test_a_chunked_body_over_the_limit(server: MockServer) -> None:
    body = _chunked(_prompt_body(LIMIT * 2))
    reply = exchange(
        server,
        request(SUBMIT, body, headers={"Transfer-Encoding": "chunked"}, content_length=False),
    )
    assert_refused(reply, 413, "too large")


def test_a_body_over_the_server_cap_is_refused_before_it_is_sent(server: MockServer) -> None:
    """Content-Length alone is enough: the 413 comes back before a byte of the body."""
    head = request(SUBMIT, None, headers={"Content-Length": str(SERVER_CAP * 4)})
    with _connect(server) as sock:
        sock.sendall(head)
        reply = parse(_read_all(sock))
    assert_refused(reply, 413, "too large", server=True)


def test_a_chunked_body_over_the_server_cap(server: MockServer) -> None:
    body = _chunked(_prompt_body(SERVER_CAP * 2), size=64 * 1024)
    reply = exchange(
        server,
        request(SUBMIT, body, headers={"Transfer-Encoding": "chunked"}, content_length=False),
    )
    assert_refused(reply, 413, server=True)


def test_a_body_without_length_is_empty(server: MockServer) -> None:
    assert_refused(exchange(server, request(SUBMIT, None)), 400, "empty")


def test_a_content_length_that_lies_short_then_hangs_up(server: MockServer) -> None:
    with _connect(server, timeout=5) as sock:
        sock.sendall(
            request(SUBMIT, OK_BODY, headers={"Content-Length": "500"}, content_length=False)
        )
        sock.shutdown(socket.SHUT_WR)
        assert _read_all(sock) == b""  # nothing to answer: the request never completed


def _hyper_refuses(headers: dict[str, str], status: int, name: str) -> ParameterSet:
    """A framing case granian's hyper refuses itself (expected to fail under granian)."""
    return pytest.param(headers, status, id=name, marks=HYPER_ANSWERS_ITSELF)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        _hyper_refuses({"Content-Length": "-1"}, 400, "negative"),
        _hyper_refuses({"Content-Length": "14\r\nContent-Length: 15"}, 400, "conflicting"),
        _hyper_refuses({"Content-Length": "abc"}, 400, "not-a-number"),
        _hyper_refuses({"Transfer-Encoding": "gzip"}, 501, "unknown-transfer-coding"),
        # Both framings: which one a proxy in front believes is how smuggling starts.
        pytest.param(
            {"Transfer-Encoding": "chunked", "Content-Length": "5"},
            400,
            id="content-length-and-chunked",
        ),
        _hyper_refuses(
            {"Transfer-Encoding": "gzip", "Content-Length": "5"},
            400,
            "content-length-and-unknown-coding",
        ),
    ],
)
def test_broken_framing_is_refused_by_the_server(
    server: MockServer, headers: dict[str, str], status: int
) -> None:
    reply = exchange(server, request(SUBMIT, OK_BODY, headers=headers, content_length=False))
    assert_refused(reply, status, server=True)


@HYPER_ANSWERS_ITSELF
def test_content_length_and_chunked_together_are_refused(server: MockServer) -> None:
    """A request-smuggling shape: a proxy that frames by Content-Length and a server that
    frames by chunks see different requests. Refused (RFC 9112 6.1 allows it), in JSON."""
    body = _chunked(b'{"prompt": "a cat"}')
    before = server.backend.task_count()
    reply = exchange(
        server,
        request(SUBMIT, body, headers={"Transfer-Encoding": "chunked", "Content-Length": "3"}),
    )
    assert_refused(reply, 400, "Content-Length and Transfer-Encoding", server=True)
    assert server.backend.task_count() == before  # nothing was submitted


# -- bodies that are not what they claim ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"[" * 30_000 + b"]" * 30_000, ("nested too deeply",)),
        (b'{"prompt": ' + b'{"a":' * 10_000 + b"1" + b"}" * 10_001, ("nested too deeply",)),
        (b'{"prompt": ' + b"[" * 500 + b"]" * 500 + b"}", ("prompt",)),
        (b'{"prompt": "caf\xe9"}', ("UTF-8",)),
        ('{"prompt": "x"}'.encode("utf-16"), ("UTF-8",)),
        (b'\xef\xbb\xbf{"prompt": "x"}', ("BOM",)),
        (b'{"prompt": "a \\ud800 b"}', ("surrogate",)),
        (b'{"prompt": "x", "timeout": ' + b"9" * 5000 + b"}", ("digits",)),
        (b'{"prompt": "x", "timeout": NaN}', ("NaN",)),
        (b'{"prompt": "x", "timeout": 1e400}', ("timeout",)),
        (b'{"prompt": "x"', ("not valid JSON",)),
        (b"[1, 2]", ("JSON object",)),
    ],
    ids=[
        "deep-arrays",
        "deep-objects",
        "deep-but-parsable",
        "latin-1",
        "utf-16",
        "bom",
        "lone-surrogate",
        "huge-integer",
        "nan",
        "infinite-float",
        "truncated",
        "not-an-object",
    ],
)
def test_bodies_that_are_not_valid_json_objects(
    server: MockServer, body: bytes, words: tuple[str, ...]
) -> None:
    assert_refused(exchange(server, request(SUBMIT, body)), 400, *words)


def test_a_lone_surrogate_cannot_poison_job_status(server: MockServer) -> None:
    """It used to be accepted, and then every job-status of the key answered 500."""
    exchange(server, request(SUBMIT, b'{"prompt": "\\udfff"}'))
    reply = exchange(server, request(STATUS, json.dumps({"taskIds": []}).encode()))
    assert reply.status == 200
    tasks = server.backend.tasks()
    assert all("\udfff" not in task.prompt for task in tasks)


def test_a_control_body_gets_the_same_checks(server: MockServer) -> None:
    for body, words in (
        (b"[" * 30_000 + b"]" * 30_000, ("nested too deeply",)),
        (b'{"key": "\xff", "quota": 1}', ("UTF-8",)),
        (b'{"key": "\\ud800", "quota": 1}', ("surrogate",)),
    ):
        assert_refused(exchange(server, request("/__mock/keys", body)), 400, *words)
    assert_refused(exchange(server, request("/__mock/keys", _prompt_body(LIMIT))), 413)


# -- content types -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "shown"),
    [
        (None, "none"),
        ("text/plain", "text/plain"),
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
        ("multipart/form-data; boundary=xyz", "multipart/form-data"),
        ("application/xml", "application/xml"),
        (";;;===", "none"),
    ],
)
def test_wrong_content_types_are_415(
    server: MockServer, content_type: str | None, shown: str
) -> None:
    data = request(SUBMIT, OK_BODY, headers={"Content-Type": content_type or ""})
    if content_type is None:
        data = data.replace(b"Content-Type: \r\n", b"")
    assert_refused(exchange(server, data), 415, "application/json", shown)


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "application/vnd.api+json", "APPLICATION/JSON"],
)
def test_json_content_types_in_other_spellings_are_fine(
    server: MockServer, content_type: str
) -> None:
    reply = exchange(server, request(SUBMIT, OK_BODY, headers={"Content-Type": content_type}))
    assert reply.status == 200, reply


# -- huge taskIds, very long prompts -------------------------------------------------------------


def test_ten_thousand_task_ids_are_too_large_a_body(server: MockServer) -> None:
    ids = [f"{i:021d}" for i in range(10_000)]  # real ids are 21 characters: 240 kB of them
    reply = exchange(server, request(STATUS, json.dumps({"taskIds": ids}).encode()))
    assert_refused(reply, 413, "too large")


def test_ten_thousand_short_task_ids_are_over_the_item_limit(server: MockServer) -> None:
    body = json.dumps({"taskIds": ["x"] * 10_000}).encode()
    assert len(body) < LIMIT
    assert_refused(exchange(server, request(STATUS, body)), 400, "taskIds", "100")


def test_ten_thousand_task_ids_under_a_raised_body_limit() -> None:
    config = Config(api_keys={KEY: 10}, max_body_bytes=1 << 20)
    with MockServer(config, port=0) as roomy:
        ids = [f"{i:021d}" for i in range(10_000)]
        reply = exchange(roomy, request(STATUS, json.dumps({"taskIds": ids}).encode()))
        assert_refused(reply, 400, "taskIds", "100")


@pytest.mark.parametrize("length", [8001, 60_000])
def test_prompts_over_the_schema_maximum(server: MockServer, length: int) -> None:
    reply = exchange(server, request(SUBMIT, _prompt_body(length)))
    assert_refused(reply, 400, "prompt", "8000")
    assert len(reply.body) < 300  # the prompt is not echoed


# -- header abuse --------------------------------------------------------------------------------


@HYPER_ANSWERS_ITSELF
def test_a_huge_header_value_is_431(server: MockServer) -> None:
    reply = exchange(server, request(SUBMIT, OK_BODY, headers={"X-Padding": "a" * 300_000}))
    assert_refused(reply, 431, server=True)


@HYPER_ANSWERS_ITSELF
def test_a_huge_request_line_is_431(server: MockServer) -> None:
    assert_refused(exchange(server, request("/" + "a" * 300_000, OK_BODY)), 431, server=True)


@HYPER_ANSWERS_ITSELF
def test_too_many_headers_in_total_is_431(server: MockServer) -> None:
    padding = {f"X-Header-{i}": "v" * 20 for i in range(10_000)}
    assert_refused(exchange(server, request(SUBMIT, OK_BODY, headers=padding)), 431, server=True)


@HYPER_ANSWERS_ITSELF
def test_many_small_headers_are_fine(server: MockServer) -> None:
    padding = {f"X-Header-{i}": "v" for i in range(1000)}
    assert exchange(server, request(SUBMIT, OK_BODY, headers=padding)).status == 200


def test_a_huge_api_key_is_401_without_echo(server: MockServer) -> None:
    reply = exchange(server, request(SUBMIT, OK_BODY, headers={"API-KEY": "k" * 100_000}))
    assert_refused(reply, 401, "API-KEY")
    assert len(reply.body) < 300


@HYPER_ANSWERS_ITSELF
@pytest.mark.parametrize(
    "raw_header",
    ["X-Bad: a\x00b", "X-Bad: \x01\x02", "X Bad: v", "API-KEY : v", "GARBAGE-WITHOUT-COLON"],
    ids=["nul", "control", "space-in-name", "space-before-colon", "no-colon"],
)
def test_invalid_header_bytes_are_400(server: MockServer, raw_header: str) -> None:
    data = request(SUBMIT, OK_BODY).replace(
        b"Connection: close\r\n", b"Connection: close\r\n" + raw_header.encode("latin-1") + b"\r\n"
    )
    assert_refused(exchange(server, data), 400, server=True)


def test_a_non_ascii_api_key_is_401(server: MockServer) -> None:
    reply = exchange(server, request(SUBMIT, OK_BODY, headers={"API-KEY": "cl\xe9\xff"}))
    assert_refused(reply, 401, "API-KEY")


@pytest.mark.parametrize("second", [KEY, "someone-else"])
def test_duplicate_api_key_headers_are_401(server: MockServer, second: str) -> None:
    """waitress joins repeated headers into "a, b", which is no key: refused, and told why."""
    data = request(SUBMIT, OK_BODY).replace(
        f"API-KEY: {KEY}\r\n".encode(), f"API-KEY: {KEY}\r\nAPI-KEY: {second}\r\n".encode()
    )
    assert_refused(exchange(server, data), 401, "API-KEY", "once")


def test_a_lowercase_method_is_400(server: MockServer) -> None:
    assert_refused(exchange(server, request(SUBMIT, OK_BODY, method="post")), 400, server=True)


def test_an_unknown_method_is_405_in_json(server: MockServer) -> None:
    reply = exchange(server, request(SUBMIT, OK_BODY, method="BREW"))
    assert_refused(reply, 405, "BREW", "POST")


def test_405_names_the_methods_the_route_has(server: MockServer) -> None:
    reply = exchange(server, request("/__mock/health", OK_BODY))
    assert_refused(reply, 405, "use GET")
    assert "GET" in reply.headers["allow"].split(", ")


@HYPER_ANSWERS_ITSELF
def test_a_huge_unknown_path_is_404_without_echo(server: MockServer) -> None:
    reply = exchange(server, request("/" + "a" * 100_000, OK_BODY))
    assert_refused(reply, 404, "no route", "100001 characters")


@HYPER_ANSWERS_ITSELF
def test_a_garbage_request_line_is_400(server: MockServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GARBAGE\r\n\r\n")
        reply = parse(_read_all(sock))
    assert_refused(reply, 400, server=True)


# -- slow and partial requests -------------------------------------------------------------------


def test_partial_requests_do_not_block_others(server: MockServer) -> None:
    """Slowloris, bounded: 40 connections stuck mid-headers or mid-body hold no worker thread
    (waitress buffers until a request is complete), so a normal request is answered at once."""
    stuck: list[socket.socket] = []
    try:
        for i in range(40):
            sock = _connect(server)
            stuck.append(sock)
            if i % 2:
                sock.sendall(f"POST {SUBMIT} HTTP/1.1\r\nHost: x\r\nX-Slow: ".encode())
            else:
                sock.sendall(request(SUBMIT, OK_BODY, headers={"Content-Length": "1000"})[:-5])
        started = time.monotonic()
        reply = exchange(server, request(SUBMIT, OK_BODY))
        assert reply.status == 200
        assert time.monotonic() - started < 10  # blocked would mean until a timeout
    finally:
        for sock in stuck:
            sock.close()


def test_a_request_sent_byte_by_byte_is_served(server: MockServer) -> None:
    data = request(SUBMIT, OK_BODY)
    with _connect(server) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(0, len(data), 7):
            sock.sendall(data[i : i + 7])
            time.sleep(0.002)
        reply = parse(_read_all(sock))
    assert reply.status == 200, reply


def test_expect_100_continue_is_honoured(server: MockServer) -> None:
    reply = exchange(server, request(SUBMIT, OK_BODY, headers={"Expect": "100-continue"}))
    assert reply.status == 200, reply


# -- HTTP/1.0 and pipelining ---------------------------------------------------------------------


def test_http_1_0_is_served_and_refused_alike(server: MockServer) -> None:
    data = request(SUBMIT, OK_BODY, version="HTTP/1.0", close=False)
    ok = exchange(server, data.replace(b"Host: 127.0.0.1\r\n", b""))
    assert ok.status == 200 and ok.version == "HTTP/1.0", ok
    schemas.validate("submit_response", ok.json)
    bad = exchange(server, request(SUBMIT, b"{", version="HTTP/1.0", close=False))
    assert_refused(bad, 400, "not valid JSON")


def test_pipelined_requests_are_answered_in_order(server: MockServer) -> None:
    """Three requests in one write on one connection, an error in the middle."""
    pipeline = (
        request(SUBMIT, OK_BODY, close=False)
        + request(SUBMIT, _prompt_body(LIMIT), close=False)
        + request(SUBMIT, b"{", close=False)
        + request(STATUS, b'{"taskIds": []}')
    )
    reply = exchange(server, pipeline)
    replies = [reply, *reply.extra]
    assert [r.status for r in replies] == [200, 413, 400, 200], replies
    schemas.validate("submit_response", replies[0].json)
    assert_refused(replies[1], 413, "too large")
    assert_refused(replies[2], 400, "not valid JSON")
    assert replies[3].json == {"data": []}
