"""Validating a body against a schema, in the words the mock sends back as a 400 ``message``.

`validate` raises `SchemaViolation` carrying every ``field: reason`` line, so callers need not
validate twice; `errors` returns the lines; `is_valid` is the cheap yes/no for when nobody needs
to hear why. The words themselves come from `messages.py`.
"""

from __future__ import annotations

from .loader import validator
from .messages import describe

__all__ = ["SchemaViolation", "errors", "is_valid", "validate"]

_NOT_AN_OBJECT = "(body): must be a JSON object"
_MAX_MESSAGE = 200


class SchemaViolation(ValueError):
    """Raised by :func:`validate`; carries the messages so callers need not re-validate."""

    def __init__(self, schema_name: str, messages: list[str]) -> None:
        super().__init__(f"{schema_name}: {'; '.join(messages)}")
        self.schema_name = schema_name
        self.messages = messages


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
    return sorted({message[:_MAX_MESSAGE] for error in found for message in describe(error)})


def validate(name: str, instance: object, layer: str = "strict") -> None:
    """Raise :class:`SchemaViolation` unless ``instance`` matches schema ``name`` of ``layer``."""
    if is_valid(name, instance, layer):
        return
    raise SchemaViolation(name, errors(name, instance, layer))
