"""Hypothesis strategies: prompts with random Midjourney parameters, and malformed bodies.

Prompts use a small vocabulary of harmless words so that on the real service a generated prompt
can only fail for the reason the test intends. "Safe" malformed bodies have no usable prompt at
all, so no server could turn one into a job: those run on live for free. Bodies with a valid
prompt and one bad field could be accepted (and charged) by a lenient server: mock targets only.
"""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import strategies as st

from .checks import GRID_SIZES

__all__ = [
    "bad_personalize_prompts",
    "json_values",
    "malformed_status_bodies",
    "out_of_range_prompts",
    "risky_submit_bodies",
    "safe_submit_bodies",
    "subjects",
    "unknown_task_ids",
    "valid_prompts",
]

WORDS = [
    *("a", "red", "fox", "lighthouse", "at", "dawn", "watercolor", "city", "in", "the", "rain"),
    *("portrait", "of", "an", "old", "sailor", "mountain", "lake", "cozy", "cabin", "neon"),
    *("street", "origami", "crane", "still", "life", "with", "pears", "paper", "boat", "on"),
    *("calm", "sea", "sunflower", "field", "under", "blue", "sky"),
]
TABLE_RATIOS = tuple(f"{w}:{h}" for (w, h) in GRID_SIZES)
ID_ALPHABET = string.ascii_letters + string.digits + "_-"

subjects = st.lists(st.sampled_from(WORDS), min_size=2, max_size=7).map(" ".join)

# Parameters and values Midjourney v6 to v8.1 and niji 6/7 accept [CONTRACT.md; Midjourney's docs].
_VALID_PARAMS: dict[str, st.SearchStrategy[str]] = {
    "ar": st.sampled_from(TABLE_RATIOS),
    "chaos": st.integers(0, 100).map(str),
    "stylize": st.integers(0, 1000).map(str),
    "seed": st.integers(0, 4_294_967_295).map(str),
    "weird": st.integers(0, 3000).map(str),
    "no": st.sampled_from(WORDS),
    "model": st.sampled_from(
        ["--v 6", "--v 6.1", "--v 7", "--v 8", "--v 8.1", "--niji 6", "--niji 7"]
    ),
}


@st.composite
def valid_prompts(draw: st.DrawFn) -> str:
    """A harmless subject and a random set of valid parameters, in random order."""
    subject = draw(subjects)
    chosen = draw(st.lists(st.sampled_from(sorted(_VALID_PARAMS)), unique=True, max_size=5))
    tokens = []
    for name in chosen:
        value = draw(_VALID_PARAMS[name])
        tokens.append(value if name == "model" else f"--{name} {value}")
    return " ".join([subject, *draw(st.permutations(tokens))])


@st.composite
def bad_personalize_prompts(draw: st.DrawFn) -> str:
    """A prompt whose `--p` code no account has: contractual that it fails [doc sample]."""
    code = draw(st.text(string.ascii_lowercase + string.digits, min_size=8, max_size=14))
    return f"{draw(subjects)} --p zz{code}"


@st.composite
def out_of_range_prompts(draw: st.DrawFn) -> str:
    """A parameter value Midjourney rejects ([decision] of the mock: fails later)."""
    bad = draw(
        st.one_of(
            st.integers(101, 100_000).map(lambda v: f"--chaos {v}"),
            st.integers(1001, 100_000).map(lambda v: f"--stylize {v}"),
            st.integers(9, 99).map(lambda v: f"--v {v}"),
            st.integers(1, 50).map(lambda v: f"--ar 0:{v}"),
        )
    )
    return f"{draw(subjects)} {bad}"


json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
_not_string = json_values.filter(lambda v: not isinstance(v, str))
_blank = st.text(" \t\r\n", max_size=6)


def _encoded(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8")


def _no_prompt_object(value: dict[str, Any]) -> bool:
    return "prompt" not in value


def _unusable_as_submit(raw: bytes) -> bool:
    try:
        value = json.loads(raw)
    except ValueError:
        return True
    prompt = value.get("prompt") if isinstance(value, dict) else None
    return not (isinstance(prompt, str) and prompt.strip())


# Raw bodies (bytes) with no usable prompt: no server could make a job out of any of them.
safe_submit_bodies: st.SearchStrategy[bytes] = st.one_of(
    json_values.filter(lambda v: not isinstance(v, dict)).map(_encoded),
    st.dictionaries(st.text(max_size=10), json_values, max_size=3)
    .filter(_no_prompt_object)
    .map(_encoded),
    st.fixed_dictionaries({"prompt": _not_string}).map(_encoded),
    st.fixed_dictionaries({"prompt": _blank}, optional={"mode": st.just("fast")}).map(_encoded),
    st.sampled_from([b"{", b"{prompt: 'a cat'}", b"[1,", b"nul", b'{"prompt": "a cat"']),
    st.binary(min_size=1, max_size=24).filter(_unusable_as_submit),
)

_bad_mode = st.one_of(
    st.text(max_size=12).filter(lambda m: m not in ("fast", "relaxed")), _not_string
)
_bad_timeout = st.one_of(
    st.integers(max_value=299),
    st.integers(min_value=1201),
    st.floats(300.5, 1199.5).filter(lambda f: not f.is_integer()),
    st.sampled_from(["600", True, False, [600], {"seconds": 600}]),
)
_bad_hook = st.one_of(st.integers(), st.booleans(), st.lists(st.text(max_size=5), max_size=2))

# A valid prompt and exactly one bad field: a lenient server could accept (and charge) these.
risky_submit_bodies: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.fixed_dictionaries({"prompt": subjects, "mode": _bad_mode}),
    st.fixed_dictionaries({"prompt": subjects, "timeout": _bad_timeout}),
    st.fixed_dictionaries({"prompt": subjects, "hookUrl": _bad_hook}),
)

unknown_task_ids = st.text(ID_ALPHABET, min_size=1, max_size=128)

# job-status bodies the request schema rejects (none of them may reveal anything).
malformed_status_bodies: st.SearchStrategy[bytes] = st.one_of(
    json_values.filter(lambda v: not isinstance(v, dict)).map(_encoded),
    st.dictionaries(
        st.text(max_size=10).filter(lambda k: k != "taskIds"), json_values, max_size=3
    ).map(_encoded),
    st.fixed_dictionaries({"taskIds": json_values.filter(lambda v: not isinstance(v, list))}).map(
        _encoded
    ),
    st.fixed_dictionaries(
        {
            "taskIds": st.lists(
                st.one_of(_not_string, st.just(""), st.text(ID_ALPHABET, min_size=129)),
                min_size=1,
                max_size=3,
            )
        }
    ).map(_encoded),
    st.sampled_from([b"{", b'{"taskIds": [', b"taskIds"]),
)
