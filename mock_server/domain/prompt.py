"""Midjourney prompt parameters, as far as the mock needs them.

The real API accepts any prompt at submit time and reports a bad one later, as a failed task
whose ``failReason`` names the problem [doc: the sample is a bad ``--p`` code]. So nothing here
raises on user input: ``parse_prompt`` turns any string into a ``ParsedPrompt`` whose
``failure`` is that later failReason, or ``None``. Pure functions, no I/O, so the backend, the
in-process mock and the contract tests all agree on one reading of a prompt.

Every rule below is a mock [decision] (Midjourney does not publish its parser) unless marked
[doc]; the project docs cite this list.

Reading a prompt
----------------
- The prompt is split on whitespace (``str.split``); runs of whitespace become one space.
- A token is a parameter when it starts with ``--``, an em dash ``—`` (U+2014) or an en
  dash (U+2013) directly followed by an ASCII letter. The dash is read as ``--`` because
  phones autocorrect ``--`` into a dash. A dash that is not followed by a letter
  (``a cat — asleep``) is text.
- Parameter names are case-insensitive and stored lower-case, without the dashes. Aliases
  become one canonical name: ``aspect``→``ar``, ``version``→``v``, ``s``→``stylize``,
  ``quality``→``q``, ``c``→``chaos``, ``w``→``weird``, ``r``→``repeat``,
  ``profile`` and ``personalize``→``p``.
- The text part is every token before the first parameter. Midjourney only reads parameters
  at the end of a prompt, so every token after a parameter, up to the next parameter, is that
  parameter's value (``--no red car --ar 1:1`` gives ``no`` = ``red car``). A consequence:
  ``a cat --ar 16:9 in the rain`` fails with an invalid aspect ratio ``16:9 in the rain``.
- Known parameters (the default tables, current as of Midjourney V8.1, the default model since
  June 2026): ar, v, niji, p, chaos, stylize, q, seed, no, weird, tile, raw, style, iw, cref,
  sref, cw, sw, sv, stop, repeat, fast, relax, turbo, draft, hd, exp, oref, ow, video, motion,
  loop, end, bs, public, stealth, plus every name in ``PromptRules.extra_parameters``.
  Flags take no value: tile, raw, fast, relax, turbo, draft, hd, video, loop, public, stealth.
  ``p``, ``niji`` and ``v`` may be bare (``--p`` uses the account's default profile,
  ``--niji`` and ``--v`` the default version). All others need a value; names in
  ``extra_parameters`` take any value or none.
- The tables are configuration (``Config.prompt_rules``, the ``[mock.prompt_rules]`` table of a
  config file), so a Midjourney release newer than the mock is one setting away, not a patch:
  ``versions`` (``--v``), ``niji_versions`` (``--niji``), ``styles`` (``--style``), ``ranges``
  (the integer parameters below) and ``extra_parameters``. A failReason caused by a table names
  the setting that would allow the value.

``mj_prompt``
-------------
The text part, then each parameter in the order given as ``--name`` or ``--name value``,
joined by single spaces. ``a dog play with a boy --niji 6 --ar 9:16`` is returned unchanged,
as in the docs' sample where ``prompt == mjPrompt`` [doc]. Parsing an ``mj_prompt`` again gives
the same ``mj_prompt``, size and failure, for any input.

Failures
--------
Checked in this order; the first one found is the failReason:

1. ``Prompt is empty`` -- no text before the first parameter (or nothing at all).
2. ``Prompt is too long: N characters (limit M)`` -- the text part, after collapsing
   whitespace, is longer than ``PromptRules.max_prompt_chars`` (6000 by default).
3. ``Unrecognized parameter(s): --foo, --bar (add them to prompt_rules.extra_parameters if
   Midjourney accepts them)`` -- every unknown name once, in order.
4. Then each parameter in the order given; the first problem wins:

   - ``Duplicate parameter: --ar`` -- a name seen before (aliases count as the same name);
   - ``Parameter --tile takes no value, got ``x```` -- a flag followed by words;
   - ``Missing value for --chaos`` -- a parameter that needs a value has none;
   - ``Invalid aspect ratio: ``0:1```` -- ``--ar`` is not ``W:H`` with W and H positive whole
     numbers (ASCII digits, at most 20 significant digits), or the ratio, reduced by the
     greatest common divisor, is beyond 14:1 or 1:14;
   - ``Invalid value for --NAME: ``VALUE`` (expected ...)`` for the rest; for ``v``, ``niji``
     and ``style`` the reason ends ``; add it to prompt_rules.versions if Midjourney accepts
     it)`` (``niji_versions``, ``styles``):

     ==============  ==========================================================
     (``ranges``)
     chaos           integer 0..100
     stylize         integer 0..1000
     weird           integer 0..3000
     seed            integer 0..4294967295
     stop            integer 10..100
     repeat          integer 1..40
     cw              integer 0..100
     sw              integer 0..1000
     ow              integer 1..1000
     exp             integer 0..100
     (fixed rules, or a table named below)
     q               a number equal to one of .25, .5, 1, 2, 4 (``0.25``, ``1.0`` fine)
     iw              a number from 0 to 3 (``1.5``, ``.5`` fine)
     v               exactly one of ``versions``: 1, 2, 3, 4, 5, 5.0, 5.1, 5.2, 6,
                     6.0, 6.1, 7, 7.0, 8, 8.0, 8.1 (or bare)
     niji            exactly one of ``niji_versions``: 4, 5, 6, 7 (or bare)
     style           one of ``styles``: raw, cute, expressive, original, scenic, 4a,
                     4b, 4c (case-insensitive)
     no, sref,       any value (URLs, codes, ``random`` and words are not checked)
     cref, oref,
     sv, motion,
     end, bs
     p               any value, or none; the codes are checked in step 7
     ==============  ==========================================================

     Integers are plain ASCII digits: no sign, no decimal point, leading zeros allowed.
     Numbers are digits with at most one decimal point, no sign or exponent.

5. ``Conflicting parameters: --v and --niji`` (either order), then
   ``Conflicting parameters: --fast and --relax`` -- the first two of fast, relax, turbo, in
   the order given.
6. ``Banned prompt detected: ``word```` -- a configured banned word occurs as a whole word
   (not inside a longer word), case-insensitively, in the text part. Parameter values are not
   checked. The earliest match wins (the longest banned word at that position), reported as
   written in the prompt. Multi-word banned phrases match across single spaces.
7. ``Invalid User ID or Personalize Code: ``CODE```` [doc wording] -- ``--p`` codes are split
   on commas and whitespace, compared case-sensitively with ``PromptRules.personalize_codes``;
   the first unknown code is reported. Bare ``--p`` is always fine.

A failing prompt still gets a best-effort ``mj_prompt`` and size.

Size (``meta`` width and height)
--------------------------------
One rule for every model, old and new (V1 to V8.1, Niji 4 to 7), because Midjourney publishes
grid sizes only for its V6/V7 family and the provider's sample (``--niji 6 --ar 9:16`` gives
816x1456) matches them. From the first ``--ar``, reduced by the greatest common divisor. The
published v6/v7 grid sizes are used as they are: 1:1 1024x1024, 16:9 1456x816,
9:16 816x1456, 3:2 1344x896, 2:3 896x1344, 4:3 1232x928, 3:4 928x1232. No ``--ar``, or one
that is invalid: 1024x1024. Any other ratio W:H keeps the area of the 16:9 grid,
A = 1456 * 816 = 1,188,096 pixels, so sizes stay close to the wide and tall entries of the table:
width = sqrt(A * W / H) and height = sqrt(A * H / W), each rounded to the nearest multiple of 16
(halves up, computed exactly with integers) and at least 16. For example 2:1 gives 1536x768 and
7:3 (``21:9``) gives 1664x720. Within the 1:14..14:1 limit each side is at least 288 pixels, so
the rounding changes the ratio by under 3.1%.

``--hd`` (V8's native 2K mode) doubles both sides of that size: 1:1 gives 2048x2048, 16:9
gives 2912x1632, 9:16 gives 1632x2912. Sides stay multiples of 16. The 2x2 grid image that
``image`` points at is twice the size again in each direction (the four images side by side).
"""

from __future__ import annotations

import functools
import math
import re
from decimal import Decimal

from mock_server.domain.prompt_tables import (
    DEFAULT_SIZE,
    HD_FACTOR,
    MAX_RATIO,
    ParsedPrompt,
    PromptRules,
    size_for_aspect,
)

__all__ = ["parse_prompt"]


# --- parameter table --------------------------------------------------------------------------

_ALIASES: dict[str, str] = {
    "aspect": "ar",
    "version": "v",
    "s": "stylize",
    "quality": "q",
    "c": "chaos",
    "w": "weird",
    "r": "repeat",
    "profile": "p",
    "personalize": "p",
}

_FLAGS = frozenset(
    {"tile", "raw", "fast", "relax", "turbo", "draft", "hd", "video", "loop", "public", "stealth"}
)
_OPTIONAL_VALUE = frozenset({"p", "niji", "v"})
_FREE_VALUE = frozenset({"no", "sref", "cref", "oref", "p", "sv", "motion", "end", "bs"})

# Each table-driven choice and the prompt_rules setting that holds it.
_CHOICE_SETTINGS: dict[str, str] = {"v": "versions", "niji": "niji_versions", "style": "styles"}
_CASE_INSENSITIVE_CHOICES = frozenset({"style"})

_QUALITIES = ("0.25", "0.5", "1", "2", "4")
_QUALITY_VALUES = frozenset(Decimal(q) for q in _QUALITIES)
_IW_RANGE = (Decimal(0), Decimal(3))

_FIXED_KNOWN = frozenset({"ar", "q", "iw"} | _FLAGS | _FREE_VALUE | _CHOICE_SETTINGS.keys())

_CONFLICT_GROUPS: tuple[tuple[str, ...], ...] = (("v", "niji"), ("fast", "relax", "turbo"))

# --- lexical rules ----------------------------------------------------------------------------

_PARAM_TOKEN = re.compile(r"(?:--|\u2014|\u2013)([A-Za-z].*)", re.DOTALL)
_INT_TEXT = re.compile(r"[0-9]+")
_NUMBER_TEXT = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
_RATIO_TEXT = re.compile(r"([0-9]+):([0-9]+)")
# Bounds the cost of int()/Decimal() on hostile input and keeps clear of Python's limit on
# int-from-str conversion; no valid value comes close.
_MAX_DIGITS = 20


_DEFAULT_RULES = PromptRules()


def parse_prompt(prompt: str, rules: PromptRules = _DEFAULT_RULES) -> ParsedPrompt:
    """Read ``prompt`` the way the mock's Midjourney would; never raises.

    Any string can arrive from a client, and a bad prompt must surface later as a failed task
    rather than as an exception in the request thread.
    """
    text, params = _split(prompt)
    parts = [text] if text else []
    parts.extend(f"--{name}" if value is None else f"--{name} {value}" for name, value in params)
    width, height = _size(params)
    if any(name == "hd" for name, _ in params):
        width, height = width * HD_FACTOR, height * HD_FACTOR
    return ParsedPrompt(
        text=text,
        params=params,
        mj_prompt=" ".join(parts),
        width=width,
        height=height,
        failure=_failure(text, params, rules),
    )


def _split(prompt: str) -> tuple[str, tuple[tuple[str, str | None], ...]]:
    text_tokens: list[str] = []
    params: list[tuple[str, list[str]]] = []
    for token in prompt.split():
        match = _PARAM_TOKEN.fullmatch(token)
        if match is not None:
            name = match.group(1).lower()
            params.append((_ALIASES.get(name, name), []))
        elif params:
            params[-1][1].append(token)
        else:
            text_tokens.append(token)
    return " ".join(text_tokens), tuple(
        (name, " ".join(values) if values else None) for name, values in params
    )


def _size(params: tuple[tuple[str, str | None], ...]) -> tuple[int, int]:
    for name, value in params:
        if name == "ar":
            ratio = _read_ratio(value) if value is not None else None
            return size_for_aspect(*ratio) if ratio is not None else DEFAULT_SIZE
    return DEFAULT_SIZE


def _failure(
    text: str, params: tuple[tuple[str, str | None], ...], rules: PromptRules
) -> str | None:
    if not text:
        return "Prompt is empty"
    if len(text) > rules.max_prompt_chars:
        return f"Prompt is too long: {len(text)} characters (limit {rules.max_prompt_chars})"

    known = _FIXED_KNOWN | rules.ranges.keys() | rules.extra_parameters
    unknown = list(dict.fromkeys(name for name, _ in params if name not in known))
    if unknown:
        return (
            "Unrecognized parameter(s): "
            + ", ".join(f"--{name}" for name in unknown)
            + " (add them to prompt_rules.extra_parameters if Midjourney accepts them)"
        )

    seen: set[str] = set()
    for name, value in params:
        if name in seen:
            return f"Duplicate parameter: --{name}"
        seen.add(name)
        problem = _value_problem(name, value, rules)
        if problem is not None:
            return problem

    names = [name for name, _ in params]
    for group in _CONFLICT_GROUPS:
        present = [name for name in names if name in group]
        if len(present) >= 2:
            return f"Conflicting parameters: --{present[0]} and --{present[1]}"

    banned = _banned_pattern(frozenset(rules.banned_words))
    match = banned.search(text) if banned is not None else None
    if match is not None:
        return f"Banned prompt detected: ``{match.group(0)}``"

    valid_codes = frozenset(rules.personalize_codes)
    for name, value in params:
        if name == "p" and value is not None:
            for code in value.replace(",", " ").split():
                if code not in valid_codes:
                    return f"Invalid User ID or Personalize Code: ``{code}``"
    return None


def _value_problem(name: str, value: str | None, rules: PromptRules) -> str | None:
    if name not in _FIXED_KNOWN and name not in rules.ranges:
        return None  # one of rules.extra_parameters (unknown names were reported already)
    if name in _FLAGS:
        return None if value is None else f"Parameter --{name} takes no value, got ``{value}``"
    if value is None:
        return None if name in _OPTIONAL_VALUE else f"Missing value for --{name}"
    if name == "ar":
        return None if _read_ratio(value) is not None else f"Invalid aspect ratio: ``{value}``"
    if name in _FREE_VALUE:
        return None

    expected: str
    if name in rules.ranges:
        low, high = rules.ranges[name]
        number = _read_int(value)
        if number is not None and low <= number <= high:
            return None
        expected = f"an integer from {low} to {high}"
    elif name in _CHOICE_SETTINGS:
        setting = _CHOICE_SETTINGS[name]
        choices: tuple[str, ...] = getattr(rules, setting)
        if name in _CASE_INSENSITIVE_CHOICES:
            choices, value_seen = tuple(c.lower() for c in choices), value.lower()
        else:
            value_seen = value
        if value_seen in choices:
            return None
        expected = (
            "one of "
            + ", ".join(getattr(rules, setting))
            + f"; add it to prompt_rules.{setting} if Midjourney accepts it"
        )
    elif name == "q":
        quality = _read_number(value)
        if quality is not None and quality in _QUALITY_VALUES:
            return None
        expected = "one of .25, .5, 1, 2, 4"
    elif name == "iw":
        weight = _read_number(value)
        if weight is not None and _IW_RANGE[0] <= weight <= _IW_RANGE[1]:
            return None
        expected = f"a number from {_IW_RANGE[0]} to {_IW_RANGE[1]}"
    else:  # not reached: every known name has a rule above
        return None
    return f"Invalid value for --{name}: ``{value}`` (expected {expected})"


def _read_int(value: str) -> int | None:
    if _INT_TEXT.fullmatch(value) is None:
        return None
    digits = value.lstrip("0") or "0"
    return int(digits) if len(digits) <= _MAX_DIGITS else None


def _read_number(value: str) -> Decimal | None:
    if _NUMBER_TEXT.fullmatch(value) is None or len(value) > 2 * _MAX_DIGITS:
        return None
    return Decimal(value)


def _read_ratio(value: str) -> tuple[int, int] | None:
    match = _RATIO_TEXT.fullmatch(value)
    if match is None:
        return None
    w, h = _read_int(match.group(1)), _read_int(match.group(2))
    if not w or not h:  # None or a side of 0
        return None
    g = math.gcd(w, h)
    w, h = w // g, h // g
    if max(w, h) > MAX_RATIO * min(w, h):
        return None
    return w, h


@functools.lru_cache(maxsize=32)
def _banned_pattern(words: frozenset[str]) -> re.Pattern[str] | None:
    # Longest first, so at any position the longest banned phrase is the one reported; the
    # alphabetical tie-break keeps the pattern, and so the report, independent of set order.
    phrases = sorted({" ".join(word.split()) for word in words} - {""}, key=lambda p: (-len(p), p))
    if not phrases:
        return None
    alternation = "|".join(re.escape(phrase) for phrase in phrases)
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)
