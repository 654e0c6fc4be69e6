"""CORS for browser apps (`--cors ORIGIN`): on the provider endpoints and the CDN, never on the
control API.

One public client of this API runs in a browser, and a browser only calls another origin when
the server answers its preflight. The real API's CORS policy is not documented, so the mock adds
none unless asked ([decision] `Config.cors_origins`). flask-cors rather than hand-written
headers: it answers preflights, echoes a matching origin (with `Vary: Origin`) or `*`, and filters
the requested headers, which is exactly the part that is easy to get subtly wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask
from flask_cors import CORS

from schemas.routes import CDN_PREFIX, PROVIDER_PREFIX

__all__ = ["ALLOWED_HEADERS", "covers", "install"]

# What the provider's clients send: the key header and a JSON body.
ALLOWED_HEADERS = ("API-KEY", "Content-Type")
# Provider endpoints and images; `/__mock/` is left out on purpose, so a page on an allowed
# origin can call the API but can never reset or steer the mock.
_RESOURCES = (PROVIDER_PREFIX + "/*", CDN_PREFIX + "/*")


def covers(path: str) -> bool:
    """Whether CORS (when configured) answers for `path`: the API and the CDN, never `/__mock/`."""
    return path.startswith((PROVIDER_PREFIX + "/", CDN_PREFIX + "/"))


def install(app: Flask, origins: Sequence[str]) -> None:
    """Add CORS to `app` for `origins` (`"*"` allows any); nothing when `origins` is empty."""
    if not origins:
        return
    allowed: str | list[str] = "*" if "*" in origins else list(origins)
    CORS(
        app,
        resources={pattern: {} for pattern in _RESOURCES},
        origins=allowed,
        allow_headers=list(ALLOWED_HEADERS),
        methods=["GET", "POST", "OPTIONS"],
        max_age=600,
        vary_header=True,
        send_wildcard=allowed == "*",
    )
