"""Reading the schema files and building their validators, once each.

Files are read through ``importlib.resources`` so the package works from a wheel. Every file is
registered under its ``$id`` so cross-file ``$ref``s resolve offline, and a validator holds its
schema with those refs already inlined: the mock validates every request, and a registry lookup
per ``$ref`` per validation made checking a job-status response about four times slower.

jsonschema and referencing are imported by the first validator built, not by ``import schemas``:
the reference client reads `schemas.routes` at import and validates only when asked to.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urldefrag, urljoin

from .names import CONSUMER_SCHEMA_NAMES, LAYERS, OPENAPI_FILES, SCHEMA_NAMES

if TYPE_CHECKING:
    from jsonschema.protocols import Validator
    from referencing import Registry, Resource

__all__ = ["load", "openapi", "validator"]

_PACKAGE = "schemas"
_MAX_REF_DEPTH = 32


def _check_name(name: str, layer: str = "strict") -> None:
    if layer not in LAYERS:
        raise KeyError(f"unknown schema layer {layer!r}; known: {', '.join(LAYERS)}")
    known = SCHEMA_NAMES if layer == "strict" else CONSUMER_SCHEMA_NAMES
    if name not in known:
        raise KeyError(f"unknown schema {name!r} ({layer} layer); known: {', '.join(known)}")


@functools.cache
def _raw(name: str, layer: str = "strict") -> dict[str, Any]:
    _check_name(name, layer)
    folder = resources.files(_PACKAGE)
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
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

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
    from jsonschema import Draft202012Validator

    schema = _raw(name, layer)
    return cast(
        "Validator",
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


@functools.cache
def _openapi(variant: str) -> dict[str, Any]:
    if variant not in OPENAPI_FILES:
        raise KeyError(f"unknown OpenAPI document {variant!r}; known: {', '.join(OPENAPI_FILES)}")
    path = resources.files(_PACKAGE).joinpath(OPENAPI_FILES[variant])
    import yaml  # only the OpenAPI documents need it; the mock's start-up does not

    return cast(dict[str, Any], yaml.safe_load(path.read_text(encoding="utf-8")))


def openapi(variant: str = "provider") -> dict[str, Any]:
    """Return a committed OpenAPI document (built by ``python -m tools.build_openapi``).

    ``"provider"`` (``openapi.yaml``) is exactly midjourney-api.com's API; ``"mock"``
    (``openapi-mock.yaml``) adds the mock's control API and image route. Parsed once; callers get
    a copy, as with :func:`load`.
    """
    return copy.deepcopy(_openapi(variant))
