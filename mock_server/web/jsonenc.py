"""The one JSON encoder of the mock's answers: orjson, with the standard library as a fallback.

orjson (a well-kept compiled encoder) writes the same compact UTF-8 text as
``json.dumps(body, separators=(",", ":"), ensure_ascii=False)`` for every value the mock sends
(strings, 64-bit integers, booleans, null, lists, objects with string keys), five to ten times
faster: at 100 job-status items, encoding was 13% of the server's time. What orjson refuses (an
integer beyond 64 bits, a non-string key) goes through the standard library, so no answer that
used to encode fails now. Floats in exponent form are written `1e-05` by one and `1e-5` by the
other: the same JSON number.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["Fragment", "dumps"]

# Already-encoded JSON placed inside a value as is (the cached job-status items).
Fragment = orjson.Fragment


def dumps(body: Any) -> bytes:
    """`body` as compact UTF-8 JSON bytes."""
    try:
        return orjson.dumps(body)
    except TypeError:  # orjson.JSONEncodeError: too big an int, a non-str key, ...
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
