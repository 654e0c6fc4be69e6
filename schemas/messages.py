"""Turning jsonschema's ValidationErrors into short ``<field>: <reason>`` lines.

The lines end up in HTTP bodies and logs, so they name the field in dotted form (``taskIds[3]``,
``meta.width``), never echo more than a short excerpt of the value, and explain a failed
``oneOf`` by the branch the body was evidently meant to match rather than by jsonschema's
deepest error.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

__all__ = ["describe"]

# Messages end up in HTTP bodies and logs, so a 1 MB prompt must not be echoed back.
_REPR = reprlib.Repr()
_REPR.maxstring = 80
_REPR.maxother = 80
_REPR.maxlong = 40
_REPR.maxlevel = 2
_REPR.maxdict = 4
_REPR.maxlist = 6
_MAX_KEY = 40
# Keywords whose failure on a direct property means "this oneOf branch is a different kind of
# object" (e.g. status 2 against the completed-task branch), not "this object is almost right".
_DISCRIMINATORS = frozenset({"const", "enum", "not"})


def _short(value: object) -> str:
    return _REPR.repr(value)


def _field(path: Iterable[object]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        # Keys come from the client too: a 1 MB key must not become a 1 MB message.
        key = str(part) if len(str(part)) <= _MAX_KEY else str(part)[: _MAX_KEY - 3] + "..."
        text += f".{key}" if text else key
    return text or "(body)"


def _child(path: Sequence[object], key: str) -> str:
    return _field([*path, key])


def _sorted_values(values: Iterable[object]) -> list[object]:
    unique: list[object] = []
    for value in values:
        if not any(value == seen and type(value) is type(seen) for seen in unique):
            unique.append(value)
    return sorted(unique, key=lambda v: (type(v).__name__, repr(v)))


def describe(error: ValidationError) -> list[str]:
    """The lines that explain one ValidationError (several for a oneOf that failed inside)."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        return _describe_alternatives(error)
    return _messages(error)


def _describe_alternatives(error: ValidationError) -> list[str]:
    """Explain a failed oneOf/anyOf by the branch the instance was evidently meant to match.

    jsonschema's ``best_match`` prefers the deepest error, which for a status-discriminated union
    is the useless "status: 1 is not one of [0, '0']"; picking the branch whose discriminator
    matched and listing what is wrong inside it is what a client needs to hear.
    """
    depth = len(error.absolute_path)
    branches: dict[object, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    candidates = [errs for errs in branches.values() if not _ruled_out(errs, depth)]
    if candidates:
        best = min(candidates, key=len)
        return sorted({message for sub in best for message in describe(sub)})
    return _merge_discriminators(
        [sub for errs in branches.values() for sub in _ruling_out(errs, depth)]
    )


def _ruling_out(errs: list[ValidationError], depth: int) -> list[ValidationError]:
    """The errors showing that a branch describes a different kind of value altogether."""
    found: list[ValidationError] = []
    for sub in errs:
        sub_depth = len(sub.absolute_path)
        if (sub.validator in _DISCRIMINATORS and sub_depth == depth + 1) or (
            sub.validator == "type" and sub_depth == depth
        ):
            found.append(sub)
        elif sub.validator in ("oneOf", "anyOf") and sub_depth == depth and sub.context:
            nested: dict[object, list[ValidationError]] = {}
            for inner in sub.context:
                nested.setdefault(inner.relative_schema_path[0], []).append(inner)
            reasons = [_ruling_out(group, depth) for group in nested.values()]
            if all(reasons):
                found.extend(reason for group in reasons for reason in group)
    return found


def _ruled_out(errs: list[ValidationError], depth: int) -> bool:
    return bool(_ruling_out(errs, depth))


def _merge_discriminators(errs: list[ValidationError]) -> list[str]:
    """No branch fits: list every allowed value of the discriminator in one message."""
    allowed: dict[str, list[object]] = {}
    types: dict[str, list[str]] = {}
    shown: dict[str, object] = {}
    others: set[str] = set()
    for sub in errs:
        where = _field(sub.absolute_path)
        shown[where] = sub.instance
        if sub.validator == "enum":
            allowed.setdefault(where, []).extend(sub.validator_value)
        elif sub.validator == "const":
            allowed.setdefault(where, []).append(sub.validator_value)
        elif sub.validator == "type":
            value = sub.validator_value
            types.setdefault(where, []).extend([value] if isinstance(value, str) else value)
        else:
            others.update(_messages(sub))
    for where, values in allowed.items():
        others.add(f"{where}: {_short(shown[where])} is not one of {_sorted_values(values)!r}")
    for where, names in types.items():
        others.add(f"{where}: {_type_reason(shown[where], names)}")
    return sorted(others)


def _type_reason(instance: object, names: Iterable[object]) -> str:
    expected = ", ".join(repr(name) for name in dict.fromkeys(names))
    return f"{_short(instance)} is not of type {expected}"


def _messages(error: ValidationError) -> list[str]:
    where = _field(error.absolute_path)
    path = list(error.absolute_path)
    keyword = error.validator
    value = error.validator_value
    instance = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    custom = schema.get("x-errors", {})
    if isinstance(custom, dict) and isinstance(custom.get(keyword), str):
        return [f"{where}: {custom[keyword]}"]
    if keyword == "required" and isinstance(instance, dict):
        return [_child(path, key) + ": is required" for key in value if key not in instance]
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = schema.get("properties", {})
        extra = [key for key in instance if key not in known]
        return [_child(path, key) + ": is not an allowed field" for key in extra]
    return [f"{where}: {_reason(keyword, value, instance) or error.message}"]


def _reason(keyword: object, value: Any, instance: object) -> str | None:
    shown = _short(instance)
    size = len(instance) if isinstance(instance, (str, list, dict)) else 0
    match keyword:
        case "type":
            return _type_reason(instance, [value] if isinstance(value, str) else value)
        case "enum":
            return f"{shown} is not one of {_sorted_values(value)!r}"
        case "const":
            return f"{shown} is not {value!r}"
        case "minimum":
            return f"{shown} is less than the minimum of {value!r}"
        case "maximum":
            return f"{shown} is greater than the maximum of {value!r}"
        case "minLength" if value == 1:
            return "must not be empty"
        case "minLength":
            return f"must be at least {value} characters long (is {size})"
        case "maxLength":
            return f"must be at most {value} characters long (is {size})"
        case "minItems":
            return f"must have at least {value} items (has {size})"
        case "maxItems":
            return f"must have at most {value} items (has {size})"
        case "pattern":
            return f"{shown} does not match the pattern {value}"
        case "not":
            return f"{shown} is not allowed here"
        case "oneOf":
            return "matches more than one allowed shape"
    return None
