"""The JSON Schemas of the midjourney-api.com contract, and the one loader for them.

The schema files are the single description of every shape (the mock, the client and the contract
tests all validate through here). This face only names what the package offers; each job has its
module: `names` (which schemas exist, their layers, the OpenAPI files), `loader` (read a file,
build a validator once, the committed OpenAPI documents), `validation` (`validate`, `errors`,
`is_valid`), `messages` (validation errors in plain ``field: reason`` words), `routes` (every
HTTP path, written once) and `recording` (the record files of the suite and the proxy).
"""

from __future__ import annotations

# Read (not imported) by mock_server.provenance: this file is midjourney-api-mock's.
__mj_mock_part__ = True

from .loader import load, openapi, validator
from .names import (
    CONSUMER_SCHEMA_NAMES,
    CONTROL_SCHEMA_NAMES,
    LAYERS,
    OPENAPI_FILES,
    PROVIDER_SCHEMA_NAMES,
    SCHEMA_NAMES,
    TOOL_SCHEMA_NAMES,
)
from .validation import SchemaViolation, errors, is_valid, validate

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
