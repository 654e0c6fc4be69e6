"""Carrying out an injected fault on the HTTP side, for the server and in-process modes alike.

The decision (which request gets which fault) is `FaultInjector`'s; here it becomes a status, a
delay, a truncated body or a dropped connection. A drop cannot be expressed as a response, so the
server closes the socket under waitress, and the in-process adapter, seeing `DROP_HEADER`, raises
the ConnectionError that `requests` would have raised.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from flask import Response, g, request

from mock_server.errors import ApiError
from mock_server.records import Fault
from mock_server.web.bodies import CDN_BLUEPRINT, current_backend, error_response
from schemas.routes import ENDPOINT_NAMES

__all__ = ["DROP_HEADER", "MALFORMED_BODY", "drop_answer_if_asked", "inject_fault"]

DROP_HEADER = "X-Mj-Mock-Fault"
MALFORMED_BODY = '{"status": 0, "message": "success", "data": [{"taskId": "'


def _endpoint() -> str | None:
    if request.blueprint == CDN_BLUEPRINT:
        return "cdn"
    return ENDPOINT_NAMES.get(request.path)


def inject_fault() -> Response | None:
    """A `before_request` hook: the faulty response, or None to serve the request normally."""
    endpoint = _endpoint()
    if endpoint is None:
        return None
    backend = current_backend()
    fault = backend.faults.take(endpoint)
    if fault is None:
        return None
    if fault.kind == "latency":
        backend.faults.delay(fault.latency or 0.0, backend.clock)
        return None
    return _enact(fault, backend.config)


def _enact(fault: Fault, config: Any) -> Response | None:
    if fault.kind == "drop-after":
        g.mj_mock_drop_answer = True  # served normally; `drop_answer_if_asked` loses the answer
        return None
    if fault.kind == "malformed":
        return Response(MALFORMED_BODY, status=200, mimetype="application/json")
    if fault.kind == "drop":
        _drop_connection(request.environ)
        response = Response(b"", status=502)
        response.headers[DROP_HEADER] = "drop"
        return response
    status = fault.status or 500
    error = ApiError(f"injected fault {fault.fault_id}: HTTP {status}", status=status)
    response = error_response(error, config)
    if status == 429:
        response.headers["Retry-After"] = "1"
    return response


def drop_answer_if_asked(response: Response) -> Response:
    """An `after_request` hook: for a drop-after fault, the request was served (a submit's task
    exists and is charged) but its answer never reaches the client."""
    if g.pop("mj_mock_drop_answer", False):
        _drop_connection(request.environ)
        response.headers[DROP_HEADER] = "drop"
    return response


def _drop_connection(environ: dict[str, Any]) -> None:
    """Reset the client's connection with nothing sent, as a crashed upstream would."""
    probe = environ.get("waitress.client_disconnected")
    channel = getattr(probe, "__self__", None)
    sock = getattr(channel, "socket", None)
    if not isinstance(sock, socket.socket):
        return  # not under waitress (in-process): the adapter raises instead
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
