"""The pieces both OpenAPI documents are made of: components from the schema files, media types.

The schema files stay the single description of every shape; this module only re-homes them as
OpenAPI components (a file's `$defs` hoisted beside it, every `$ref` rewritten to point at a
component), and wraps a component in a JSON media type whose examples are the documented
fixtures, so tools replay real samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from schemas import load

__all__ = [
    "CONSUMER_LAYER",
    "ERROR_RESPONSES",
    "component_name",
    "components",
    "error_refs",
    "error_response",
    "json_media",
    "path_parameter",
    "ref",
]

_SCHEMA_REF = "#/components/schemas/"
# Keywords that only identify a schema file; they must not leak into components, where an $id
# would change the base URI that the rewritten refs resolve against.
_FILE_ONLY = frozenset({"$schema", "$id", "$defs"})
_ANNOTATIONS = frozenset({"title", "description"})

# HTTP error statuses the mock answers with the error body [decision], by component name.
ERROR_RESPONSES: dict[str, tuple[str, str]] = {
    "400": (
        "BadRequest",
        "Malformed JSON or a body that does not match the request schema; `message` names the "
        "field and why [decision].",
    ),
    "401": ("Unauthorized", "Missing or unknown `API-KEY` header [decision]."),
    "404": ("NotFound", "No such route [decision]."),
    "405": ("MethodNotAllowed", "Both routes only accept POST [decision]."),
    "413": ("PayloadTooLarge", "The body is larger than the mock accepts [decision]."),
    "415": ("UnsupportedMediaType", "The body is not `application/json` [decision]."),
}


def component_name(schema_name: str, definition: str | None = None) -> str:
    """Name of the component for a schema file, or for one of its ``$defs``.

    ``$defs`` are hoisted with the file as prefix (``Task_completedTask``) so that two files may
    use the same definition name without clashing.
    """
    base = "".join(part.capitalize() for part in schema_name.split("_"))
    return f"{base}_{definition}" if definition else base


def _rewrite(node: Any, schema_name: str) -> Any:
    if isinstance(node, dict):
        return {
            key: _rewrite_ref(value, schema_name)
            if key == "$ref" and isinstance(value, str)
            else _rewrite(value, schema_name)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite(item, schema_name) for item in node]
    return node


def _rewrite_ref(ref: str, schema_name: str) -> str:
    target, _, fragment = ref.partition("#")
    if target:
        if not target.endswith(".schema.json"):
            raise ValueError(f"{schema_name}: cannot map $ref {ref!r} to a component")
        target_name = target.removesuffix(".schema.json")
    else:
        target_name = schema_name
    if fragment in ("", "/"):
        return _SCHEMA_REF + component_name(target_name)
    prefix = "/$defs/"
    definition = fragment.removeprefix(prefix)
    if not fragment.startswith(prefix) or "/" in definition:
        raise ValueError(f"{schema_name}: only whole files and $defs may be referenced: {ref!r}")
    return _SCHEMA_REF + component_name(target_name, definition)


CONSUMER_LAYER = (
    "The components here are the strict layer: the mock's exact output, no field it does not "
    "send (schemas/*.schema.json). What a client may rely on, and all the contract suite holds "
    "the live API to, is the consumer layer in schemas/consumer/ "
    "(`schemas.validate(name, body, layer='consumer')`): the documented fields and types, extra "
    "fields allowed, `message` optional on submit answers, `message` and `data` optional in "
    "error bodies, `createdAt` optional on failed items, `image` an optional URL on completed "
    "items."
)


def components(names: Sequence[str]) -> dict[str, Any]:
    """Every component of these schema files, by component name, sorted."""
    found: dict[str, Any] = {}
    for name in names:
        schema = load(name)
        body = {key: value for key, value in schema.items() if key not in _FILE_ONLY}
        # A file of $defs only (common) has no shape of its own to publish.
        if set(body) - _ANNOTATIONS:
            found[component_name(name)] = _rewrite(body, name)
        for definition, sub in schema.get("$defs", {}).items():
            found[component_name(name, definition)] = _rewrite(sub, name)
    return dict(sorted(found.items()))


def ref(name: str) -> dict[str, str]:
    """A `$ref` to the component of a schema file."""
    return {"$ref": _SCHEMA_REF + component_name(name)}


def json_media(schema_name: str, examples: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """A JSON media type; examples are the documented fixtures, so tools replay real samples."""
    # Imported here, not at the top: only building needs the samples, not the schema loader.
    import fixtures

    media: dict[str, Any] = {"schema": ref(schema_name)}
    if examples:
        media["examples"] = {
            key: {"summary": summary, "value": fixtures.load(path)}
            for key, (summary, path) in examples.items()
        }
    return {"application/json": media}


def error_refs() -> dict[str, Any]:
    """The shared error responses, by HTTP status, as an operation's `responses` lists them."""
    return {
        status: {"$ref": f"#/components/responses/{name}"}
        for status, (name, _) in ERROR_RESPONSES.items()
    }


def error_response(description: str) -> dict[str, Any]:
    """A response whose body is the API's error shape."""
    return {"description": description, "content": json_media("error", {})}


def path_parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A required parameter of a path template (`{taskId}`)."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }
