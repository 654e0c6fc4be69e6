"""The tables a prompt is read against, and what a reading gives: the prompt parser's data.

`PromptRules` holds the configurable tables (`Config.prompt_rules`: versions, styles, ranges,
extra parameters, banned words, personalize codes) with their [decision] defaults; `ParsedPrompt`
is one reading; the grid sizes turn an aspect ratio into width and height. The rules that use
them, and the list of every rule, are in `domain.prompt`'s docstring.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "DEFAULT_NIJI_VERSIONS",
    "DEFAULT_RANGES",
    "DEFAULT_SIZE",
    "DEFAULT_STYLES",
    "DEFAULT_VERSIONS",
    "HD_FACTOR",
    "MAX_RATIO",
    "ParsedPrompt",
    "PromptRules",
    "size_for_aspect",
]

DEFAULT_VERSIONS: tuple[str, ...] = (
    "1", "2", "3", "4", "5", "5.0", "5.1", "5.2", "6", "6.0", "6.1", "7", "7.0", "8", "8.0", "8.1",
)  # fmt: skip
"""[decision] Every ``--v`` Midjourney accepts as of V8.1 (the default model since June 2026)."""
DEFAULT_NIJI_VERSIONS: tuple[str, ...] = ("4", "5", "6", "7")
"""[decision] Every ``--niji`` Midjourney accepts as of Niji 7 (January 2026)."""
DEFAULT_STYLES: tuple[str, ...] = (
    "raw",
    "cute",
    "expressive",
    "original",
    "scenic",
    "4a",
    "4b",
    "4c",
)
DEFAULT_RANGES: Mapping[str, tuple[int, int]] = MappingProxyType(
    {
        "chaos": (0, 100),
        "stylize": (0, 1000),
        "weird": (0, 3000),
        "seed": (0, 4_294_967_295),
        "stop": (10, 100),
        "repeat": (1, 40),
        "cw": (0, 100),
        "sw": (0, 1000),
        "ow": (1, 1000),
        "exp": (0, 100),
    }
)
"""[decision] Integer parameters and their inclusive ranges."""


@dataclass(frozen=True)
class PromptRules:
    """The configurable tables and failure rules (Config holds one).

    Frozen so one instance can be shared by every request thread without copying. The tables
    are settings because Midjourney ships models faster than the mock: a prompt a user can send
    today must not fail because the table is older than Midjourney.
    """

    personalize_codes: frozenset[str] = frozenset()
    """Valid ``--p`` codes. Empty by default, so the docs' ``--p 123123`` sample fails."""
    banned_words: frozenset[str] = frozenset({"nsfw", "gore"})
    """Whole words or phrases, matched case-insensitively in the text part only."""
    max_prompt_chars: int = 6000
    """Limit on the text part; the request schema separately caps the whole body."""
    versions: tuple[str, ...] = DEFAULT_VERSIONS
    """Accepted ``--v`` values, compared as written."""
    niji_versions: tuple[str, ...] = DEFAULT_NIJI_VERSIONS
    """Accepted ``--niji`` values, compared as written."""
    styles: tuple[str, ...] = DEFAULT_STYLES
    """Accepted ``--style`` values, compared case-insensitively."""
    ranges: Mapping[str, tuple[int, int]] = field(default_factory=lambda: DEFAULT_RANGES)
    """Integer parameters (canonical name) and their inclusive ranges."""
    extra_parameters: frozenset[str] = frozenset()
    """Names the tables do not know (lower-case, no dashes), accepted with any value or none."""


@dataclass(frozen=True)
class ParsedPrompt:
    """One reading of a prompt, with everything the mock reports about it."""

    text: str
    """The prompt before its first parameter, whitespace collapsed."""
    params: tuple[tuple[str, str | None], ...]
    """Canonical name (lower-case, no dashes) and raw value (``None`` if bare), in order."""
    mj_prompt: str
    width: int
    height: int
    failure: str | None
    """The failReason Midjourney would give, or ``None`` if the prompt would render."""


# --- sizes ------------------------------------------------------------------------------------

DEFAULT_SIZE = (1024, 1024)
_GRID_SIZES: dict[tuple[int, int], tuple[int, int]] = {
    (1, 1): (1024, 1024),
    (16, 9): (1456, 816),
    (9, 16): (816, 1456),
    (3, 2): (1344, 896),
    (2, 3): (896, 1344),
    (4, 3): (1232, 928),
    (3, 4): (928, 1232),
}
_AREA = 1456 * 816
HD_FACTOR = 2  # --hd: native 2K, both sides doubled
_STEP = 16
MAX_RATIO = 14


def size_for_aspect(w: int, h: int) -> tuple[int, int]:
    """Return the grid (width, height) for the aspect ratio ``w:h``; see the module docstring.

    Integer arithmetic only, so the result is exact for any ratio and the same on every
    platform. Raises ``ValueError`` unless both sides are positive: callers validate first.
    """
    if w <= 0 or h <= 0:
        raise ValueError(f"aspect ratio sides must be positive, got {w}:{h}")
    g = math.gcd(w, h)
    w, h = w // g, h // g
    grid = _GRID_SIZES.get((w, h))
    if grid is not None:
        return grid
    return _nearest_step(_AREA * w // h), _nearest_step(_AREA * h // w)


def _nearest_step(square: int) -> int:
    # floor(sqrt(x)) == isqrt(floor(x)) for x >= 0, and rounding sqrt(x) half-up to a multiple of
    # 16 only needs floor(sqrt(x)) because 8 and 16 are integers.
    return max(_STEP, (math.isqrt(square) + _STEP // 2) // _STEP * _STEP)
