"""Walking a recorded body along its schema, to name *how* it drifted from `schemas/`.

jsonschema says that a body fails and where; the drift report wants the kind of difference, in
words a provider change maps to: a field the schemas don't know (`unknown-field`), or a value of
another JSON type (`type`). `walk` follows the body through the schema's `allOf` parts and the
`oneOf`/`anyOf` branches it matches (or, when none does, the branches its discriminators point
at, so a failed task is compared with the failed-task branch) and lists each such difference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator

__all__ = ["json_type", "walk"]


def walk(instance: object, schema: object) -> list[tuple[str, str]]:
    """Every (kind, detail) difference between `instance` and `schema`, in document order."""
    found: list[tuple[str, str]] = []
    _walk(instance, schema, "", found)
    return found


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_fits(value: object, allowed: set[str]) -> bool:
    kind = json_type(value)
    if kind in allowed:
        return True
    if kind == "integer" and "number" in allowed:
        return True
    return (
        kind == "number"
        and isinstance(value, float)
        and value.is_integer()
        and ("integer" in allowed)
    )


def _narrow(current: set[str] | None, new: set[str] | None) -> set[str] | None:
    if new is None:
        return current
    return set(new) if current is None else current & new


def _types(schema: object) -> set[str] | None:
    """The JSON types a schema allows; None when it does not constrain the type."""
    if not isinstance(schema, Mapping):
        return None
    found: set[str] | None = None
    declared = schema.get("type")
    if isinstance(declared, str):
        found = _narrow(found, {declared})
    elif isinstance(declared, list):
        found = _narrow(found, {str(t) for t in declared})
    if isinstance(schema.get("enum"), list):
        found = _narrow(found, {json_type(v) for v in schema["enum"]})
    if "const" in schema:
        found = _narrow(found, {json_type(schema["const"])})
    for sub in schema.get("allOf", ()):
        found = _narrow(found, _types(sub))
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            kinds = [_types(branch) for branch in branches]
            if all(k is not None for k in kinds):
                found = _narrow(found, set().union(*(k for k in kinds if k is not None)))
    return found


def _properties(schema: Mapping[str, Any]) -> dict[str, Any]:
    props = dict(schema.get("properties", {}))
    for sub in schema.get("allOf", ()):
        if isinstance(sub, Mapping):
            props.update(_properties(sub))
    return props


def _discriminators_match(branch: object, instance: object) -> bool:
    kinds = _types(branch)
    if kinds is not None and not _type_fits(instance, kinds):
        return False
    if not isinstance(branch, Mapping) or not isinstance(instance, Mapping):
        return True
    for name, sub in _properties(branch).items():
        if name not in instance or not isinstance(sub, Mapping):
            continue
        allowed = sub.get("enum") if isinstance(sub.get("enum"), list) else None
        if allowed is None and "const" in sub:
            allowed = [sub["const"]]
        value = instance[name]
        if allowed is not None and not any(
            value == option and type(value) is type(option) for option in allowed
        ):
            return False
    return True


def _choose(branches: list[Any], instance: object) -> list[Any]:
    valid = [b for b in branches if Draft202012Validator(b).is_valid(instance)]
    if valid:
        return valid
    matching = [b for b in branches if _discriminators_match(b, instance)]
    return matching or list(branches)


def _applicable(schema: object, instance: object) -> list[Mapping[str, Any]]:
    """The schema nodes that speak about `instance`: allOf parts, and the oneOf/anyOf branches
    it matches (or, when none does, the branches its discriminators point at)."""
    if not isinstance(schema, Mapping):
        return []
    nodes: list[Mapping[str, Any]] = [schema]
    for sub in schema.get("allOf", ()):
        nodes += _applicable(sub, instance)
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            for branch in _choose(branches, instance):
                nodes += _applicable(branch, instance)
    return nodes


def _walk(instance: object, schema: object, where: str, found: list[tuple[str, str]]) -> None:
    nodes = _applicable(schema, instance)
    if isinstance(instance, Mapping):
        known: dict[str, list[Any]] = defaultdict(list)
        for node in nodes:
            for name, sub in node.get("properties", {}).items():
                known[name].append(sub)
        for name, value in instance.items():
            path = f"{where}.{name}" if where else str(name)
            subs = known.get(name)
            if not subs:
                if known:
                    found.append(("unknown-field", path))
                continue
            allowed = _types({"allOf": subs})
            # An empty set means the branches that speak about the field disagree (a success
            # without a required field also looks like an error body): no type to compare.
            if allowed and not _type_fits(value, allowed):
                wanted = " or ".join(sorted(allowed))
                found.append(("type", f"{path}: schema says {wanted}, seen {json_type(value)}"))
                continue
            _walk(value, {"allOf": subs}, path, found)
    elif isinstance(instance, list):
        items = [node["items"] for node in nodes if isinstance(node.get("items"), Mapping)]
        if items:
            for value in instance:
                _walk(value, {"allOf": items}, f"{where}[]", found)
