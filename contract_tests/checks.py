"""What the suite checks on every response, and the few contract facts that are not shapes.

Shapes live in `schemas/` only: this module decides *which* schema a response must match (by
endpoint and HTTP status) and asks `schemas` whether it does. The same decision is used by the
drift report, so a recorded response is judged exactly as the suite judged it live.

The non-shape facts come from CONTRACT.md, each tagged there: the grid sizes per `--ar` [doc
sample + published values], the image URL pattern [doc]. The two endpoint paths [doc] and their
short names are `schemas.routes`'s, like every other path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import schemas
from schemas.routes import ENDPOINT_NAMES

__all__ = [
    "GRID_SIZES",
    "acceptable_schemas",
    "aspect_ratio",
    "body_status",
    "endpoint_of",
    "expected_size",
    "image_url_problems",
    "response_problems",
    "task_id_of_hook",
]

# CONTRACT.md: "Midjourney grid sizes ... (v6/v7, the usual published values)"; the docs' sample
# `--niji 6 --ar 9:16` is 816x1456 [doc]. Keys are reduced ratios.
GRID_SIZES: dict[tuple[int, int], tuple[int, int]] = {
    (1, 1): (1024, 1024),
    (16, 9): (1456, 816),
    (9, 16): (816, 1456),
    (3, 2): (1344, 896),
    (2, 3): (896, 1344),
    (4, 3): (1232, 928),
    (3, 4): (928, 1232),
}

_RATIO = re.compile(r"^([0-9]{1,6}):([0-9]{1,6})$")


def endpoint_of(path: str) -> str | None:
    """`submit-jobs` or `job-status` for a URL path ending in one of the two routes."""
    for route, name in ENDPOINT_NAMES.items():
        if path.rstrip("/").endswith(route):
            return name
    return None


def body_status(body: object) -> int | None:
    """The body `status` as an int (0 and "0" alike), or None when there is none."""
    if not isinstance(body, Mapping):
        return None
    value = body.get("status")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def acceptable_schemas(endpoint: str, http_status: int, body: object) -> tuple[str, ...]:
    """The schemas a response may match: a 2xx submit is `submit_response` (success, or 1001 /
    1002 in an error body); a 2xx job-status is `job_status_response`, or an `error` body when it
    carries a non-zero status; anything else is an `error`."""
    ok = 200 <= http_status < 300
    if endpoint == "submit-jobs" and ok:
        return ("submit_response",)
    if endpoint == "job-status" and ok:
        code = body_status(body)
        if isinstance(body, Mapping) and "data" not in body and code not in (None, 0):
            return ("error",)
        return ("job_status_response",)
    if endpoint == "hook":
        return ("hook_payload",)
    return ("error",)


def response_problems(
    endpoint: str,
    http_status: int,
    content_type: str | None,
    body: object,
    *,
    is_json: bool,
    layer: str = "strict",
) -> list[str]:
    """Why this response breaks the contract: JSON in and out [doc], and the schemas of `layer`
    ("strict", the mock's exact output, on mock targets; "consumer", the documented contract,
    on live)."""
    if not is_json:
        return [f"{endpoint}: HTTP {http_status} answer is not JSON"]
    problems: list[str] = []
    if endpoint != "hook" and content_type is not None and "json" not in content_type.lower():
        problems.append(f"{endpoint}: Content-Type is {content_type!r}, not JSON")
    names = acceptable_schemas(endpoint, http_status, body)
    found: list[str] = []
    for name in names:
        messages = schemas.errors(name, body, layer)
        if not messages:
            return problems
        found.extend(
            f"{endpoint} (HTTP {http_status}) vs {layer} schema {name}: {m}" for m in messages
        )
    return problems + found


def aspect_ratio(prompt: str) -> tuple[int, int] | None:
    """The reduced `--ar W:H` (or `--aspect`) of a prompt, None without one or when malformed.

    Only what the suite needs to predict `meta`; parameters come at the end of a prompt and a
    value is the token after the name [doc: `--ar 9:16` in the sample].
    """
    tokens = prompt.split()
    for index, token in enumerate(tokens[:-1]):
        if token.lower() in ("--ar", "--aspect"):
            match = _RATIO.match(tokens[index + 1])
            if match is None:
                return None
            w, h = int(match.group(1)), int(match.group(2))
            if w <= 0 or h <= 0:
                return None
            g = math.gcd(w, h)
            return w // g, h // g
    return None


def expected_size(prompt: str) -> tuple[int, int] | None:
    """The grid size CONTRACT.md's table gives this prompt; None for ratios outside the table.

    No `--ar` means Midjourney's default square, 1:1.
    """
    ratio = aspect_ratio(prompt)
    if ratio is None:
        has_ar = any(t.lower() in ("--ar", "--aspect") for t in prompt.split())
        return None if has_ar else GRID_SIZES[(1, 1)]
    return GRID_SIZES.get(ratio)


def image_url_problems(item: Mapping[str, Any]) -> list[str]:
    """[doc] images are `<base>/<jobId>/0_0.png` ... `0_3.png`, in that order."""
    job_id = item.get("jobId")
    images = item.get("images")
    if not isinstance(images, list):
        return ["images is not a list"]
    problems = []
    for index, url in enumerate(images):
        suffix = f"/{job_id}/0_{index}.png"
        if not isinstance(url, str) or not url.endswith(suffix):
            problems.append(f"images[{index}] = {url!r} does not end with {suffix!r}")
    return problems


def task_id_of_hook(payload: object) -> str | None:
    """[clients] receivers read taskId from `body.data` or from the top level."""
    if not isinstance(payload, Mapping):
        return None
    data = payload.get("data")
    item = data if isinstance(data, Mapping) else payload
    task_id = item.get("taskId")
    return task_id if isinstance(task_id, str) else None
