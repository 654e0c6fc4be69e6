"""The JSON Schemas of the midjourney-api.com contract, and the one loader for them.

The schema files are the single description of every shape (the mock, the client and the contract
tests all validate through here), so this module stays small: load a file, build a validator once,
and turn validation errors into the short ``field: reason`` lines the mock sends back as a 400
``message``. Files are read through ``importlib.resources`` so the package works from a wheel.
"""

from __future__ import annotations

# Read (not imported) by mock_server.provenance: this file is midjourney-api-mock's.
__mj_mock_part__ = True

import copy
import functools
import json
import reprlib
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any, cast
from urllib.parse import urldefrag, urljoin

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = [
    "CONSUMER_SCHEMA_NAMES",
    "CONTROL_SCHEMA_NAMES",
    "LAYERS",
    "OPENAPI_FILES",
    "PROVIDER_SCHEMA_NAMES",
    "SCHEMA_NAMES",
    "TOOL_SCHEMA_NAMES",
    "SchemaViolation",
    "errors",
    "is_valid",
    "load",
    "openapi",
    "validate",
    "validator",
]

# The shapes of midjourney-api.com itself: the only ones in the provider's OpenAPI document.
PROVIDER_SCHEMA_NAMES: tuple[str, ...] = (
    "common",
    "error",
    "submit_request",
    "submit_response",
    "job_status_request",
    "job_status_response",
    "task",
    "hook_payload",
)
# The mock's own control API under /__mock/ (and its hook journal): no such route exists on the
# real service, so these appear only in openapi-mock.yaml.
CONTROL_SCHEMA_NAMES: tuple[str, ...] = (
    "control_advance_request",
    "control_fail_request",
    "control_key_request",
    "control_fault_request",
    "control_fault",
    "control_faults",
    "control_clock",
    "control_key",
    "control_keys",
    "control_task",
    "control_tasks",
    "control_health",
    "control_reset",
    "hook_attempt",
    "hook_attempts",
    "control_requests",
    "scenario",
    "control_scenario_request",
    "control_scenario",
)
# The mock's config file (`mj-mock serve --config`): not an HTTP shape, so in no OpenAPI document.
TOOL_SCHEMA_NAMES: tuple[str, ...] = ("mock_config",)
SCHEMA_NAMES: tuple[str, ...] = PROVIDER_SCHEMA_NAMES + CONTROL_SCHEMA_NAMES + TOOL_SCHEMA_NAMES

# Two layers for the provider's answers. "strict" (the files above) is the mock's exact output:
# no field it does not send, used on the mock and to name new fields in the drift report.
# "consumer" (schemas/consumer/) is what a client may rely on: the documented fields and types,
# extra fields allowed, optional where the docs do not always show a field. The client's
# `validate=True` and the contract suite on live use it; the real service is held to nothing more.
LAYERS: tuple[str, ...] = ("strict", "consumer")
CONSUMER_SCHEMA_NAMES: tuple[str, ...] = (
    "error",
    "submit_response",
    "job_status_response",
    "task",
    "hook_payload",
)

# The committed OpenAPI documents: the provider's API exactly, and that API plus the mock's own.
OPENAPI_FILES: dict[str, str] = {"provider": "openapi.yaml", "mock": "openapi-mock.yaml"}

_NOT_AN_OBJECT = "(body): must be a JSON object"
# Messages end up in HTTP bodies and logs, so a 1 MB prompt must not be echoed back.
_REPR = reprlib.Repr()
_REPR.maxstring = 80
_REPR.maxother = 80
_REPR.maxlong = 40
_REPR.maxlevel = 2
_REPR.maxdict = 4
_REPR.maxlist = 6
_MAX_MESSAGE = 200
_MAX_KEY = 40
_MAX_REF_DEPTH = 32
# Keywords whose failure on a direct property means "this oneOf branch is a different kind of
# object" (e.g. status 2 against the completed-task branch), not "this object is almost right".
_DISCRIMINATORS = frozenset({"const", "enum", "not"})


class SchemaViolation(ValueError):
    """Raised by :func:`validate`; carries the messages so callers need not re-validate."""

    def __init__(self, schema_name: str, messages: list[str]) -> None:
        super().__init__(f"{schema_name}: {'; '.join(messages)}")
        self.schema_name = schema_name
        self.messages = messages


def _check_name(name: str, layer: str = "strict") -> None:
    if layer not in LAYERS:
        raise KeyError(f"unknown schema layer {layer!r}; known: {', '.join(LAYERS)}")
    known = SCHEMA_NAMES if layer == "strict" else CONSUMER_SCHEMA_NAMES
    if name not in known:
        raise KeyError(f"unknown schema {name!r} ({layer} layer); known: {', '.join(known)}")


@functools.cache
def _raw(name: str, layer: str = "strict") -> dict[str, Any]:
    _check_name(name, layer)
    folder = resources.files(__name__)
    if layer == "consumer":
        folder = folder.joinpath("consumer")
    text = folder.joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    return cast(dict[str, Any], json.loads(text))


def load(name: str, layer: str = "strict") -> dict[str, Any]:
    """Return a schema by name, e.g. ``load("task")`` or ``load("task", layer="consumer")``.

    The file is parsed once; callers get a copy so that editing it cannot corrupt the validators.
    """
    return copy.deepcopy(_raw(name, layer))


@functools.cache
def _registry() -> Registry[Any]:
    # Every file is registered under its $id so cross-file $refs resolve offline.
    resources_: list[tuple[str, Resource[Any]]] = []
    every = [(n, "strict") for n in SCHEMA_NAMES] + [(n, "consumer") for n in CONSUMER_SCHEMA_NAMES]
    for name, layer in every:
        contents = _raw(name, layer)
        resources_.append((contents["$id"], DRAFT202012.create_resource(contents)))
    return Registry().with_resources(resources_)


@functools.cache
def validator(name: str, layer: str = "strict") -> Validator:
    """Return the validator for a schema; built once because the mock validates every request.

    The schema it holds has its ``$ref``s already resolved through the registry and inlined: the
    same rules, but without a registry lookup per ``$ref`` per validation, which made checking a
    job-status response about four times slower.
    """
    schema = _raw(name, layer)
    return cast(
        Validator,
        Draft202012Validator(_inline(schema, schema["$id"], 0), registry=_registry()),
    )


def _inline(node: Any, base: str, depth: int) -> Any:
    if isinstance(node, list):
        return [_inline(item, base, depth) for item in node]
    if not isinstance(node, dict):
        return node
    if depth > _MAX_REF_DEPTH:
        raise ValueError(f"$ref chain deeper than {_MAX_REF_DEPTH} at {base}: recursive schema?")
    out = {
        key: _inline(value, base, depth)
        for key, value in node.items()
        if key not in ("$ref", "$id", "$schema", "$defs")
    }
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return out
    target_uri = urldefrag(urljoin(base, ref)).url
    target = _inline(_registry().resolver(base).lookup(ref).contents, target_uri, depth + 1)
    if set(out) <= {"title", "description"}:
        return {**target, **out}
    # $ref next to real keywords: both apply, which is exactly what allOf says.
    out["allOf"] = [*out.get("allOf", []), target]
    return out


def is_valid(name: str, instance: object, layer: str = "strict") -> bool:
    """Cheap yes/no check, for when the caller does not need to say why."""
    return bool(validator(name, layer).is_valid(instance))


def errors(name: str, instance: object, layer: str = "strict") -> list[str]:
    """Explain why ``instance`` does not match schema ``name``; ``[]`` when it does.

    Each message is ``<field>: <reason>`` with the field in dotted form (``taskIds[3]``,
    ``meta.width``), short enough to return as the mock's 400 ``message``. Sorted, so the same input
    always gives the same text.
    """
    found = list(validator(name, layer).iter_errors(instance))
    if not found:
        return []
    if not isinstance(instance, dict):
        return [_NOT_AN_OBJECT]
    return sorted({message[:_MAX_MESSAGE] for error in found for message in _describe(error)})


def validate(name: str, instance: object, layer: str = "strict") -> None:
    """Raise :class:`SchemaViolation` unless ``instance`` matches schema ``name`` of ``layer``."""
    if is_valid(name, instance, layer):
        return
    raise SchemaViolation(name, errors(name, instance, layer))


@functools.cache
def _openapi(variant: str) -> dict[str, Any]:
    if variant not in OPENAPI_FILES:
        raise KeyError(f"unknown OpenAPI document {variant!r}; known: {', '.join(OPENAPI_FILES)}")
    path = resources.files(__name__).joinpath(OPENAPI_FILES[variant])
    import yaml  # only the OpenAPI documents need it; the mock's start-up does not

    return cast(dict[str, Any], yaml.safe_load(path.read_text(encoding="utf-8")))


def openapi(variant: str = "provider") -> dict[str, Any]:
    """Return a committed OpenAPI document (built by ``python -m tools.build_openapi``).

    ``"provider"`` (``openapi.yaml``) is exactly midjourney-api.com's API; ``"mock"``
    (``openapi-mock.yaml``) adds the mock's control API and image route. Parsed once; callers get
    a copy, as with :func:`load`.
    """
    return copy.deepcopy(_openapi(variant))


# --- turning ValidationErrors into plain words -------------------------------------------------


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


def _describe(error: ValidationError) -> list[str]:
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
        return sorted({message for sub in best for message in _describe(sub)})
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
