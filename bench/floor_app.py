"""The floor: a do-nothing WSGI app under the same HTTP server as the mock, answering every
POST with the peers' static sample. No app, however fast, can beat it on that server, so
"mj-mock ÷ floor" says how much of the server's capacity the mock's own work takes.

    python bench/floor_app.py PORT
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ANSWERS = {
    "/midjourney/v1/job-status": (FIXTURES / "quickstart" / "job_status_response.json"),
    "/midjourney/v1/submit-jobs": (FIXTURES / "api_reference" / "submit_response.json"),
}
# Compact, as WireMock is given them (mjbench.peers.write_wiremock_root).
_BODIES = {
    path: json.dumps(
        json.loads(file.read_text()), separators=(",", ":"), ensure_ascii=False
    ).encode()
    for path, file in ANSWERS.items()
}


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    body = _BODIES.get(environ.get("PATH_INFO", ""), b"{}")
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    start_response("200 OK", headers)
    return [body]


def main() -> None:
    port = int(sys.argv[1])
    import logging

    import waitress

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    waitress.serve(app, host="127.0.0.1", port=port, threads=8, ident="floor")


if __name__ == "__main__":
    main()
