"""Refuse to run on someone else's `schemas`, `fixtures` or `client`.

The wheel installs those three as top-level packages (the repository layout, kept until the
architecture issue renames them). PyPI has a popular `fixtures` and a `schemas`, and `client` is a
common name in users' own projects: installing or shadowing one silently replaces ours, and
`pip check` sees nothing. Each of our three `__init__.py` files carries `MARKER`; before a part of
the mock uses one of them, `check()` reads the file the import would load (without importing it)
and raises an ImportError that names the conflict and the fix.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["MARKER", "PackageClash", "check"]

MARKER = "__mj_mock_part__ = True"
_HOME = Path(__file__).resolve().parent.parent  # the site-packages (or checkout) we came from


class PackageClash(ImportError):
    """A top-level package of midjourney-api-mock is missing, overwritten or shadowed."""


def check(name: str, *, shadowing_ok: bool = False) -> None:
    """Raise PackageClash unless `import name` loads midjourney-api-mock's own package.

    `shadowing_ok`: a same-named package elsewhere on sys.path is the user's business (the mock
    does not import it); only an overwrite of our installed files is an error.
    """
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise PackageClash(
            f"midjourney-api-mock's `{name}` package is missing; reinstall it: "
            "pip install --force-reinstall midjourney-api-mock",
            name=name,
        )
    origin = Path(spec.origin or next(iter(spec.submodule_search_locations or []), name))
    origin = origin.resolve()
    try:
        ours = MARKER in origin.read_text(encoding="utf-8", errors="replace")
    except OSError:
        ours = False
    if ours:
        return
    if origin.parent == _HOME / name:
        raise PackageClash(
            f"`{name}` at {origin.parent} is another distribution's `{name}` package, installed "
            f"over midjourney-api-mock's (for example PyPI's `{name}`: `pip install {name}` "
            f"overwrites it). Fix: pip uninstall {name} && pip install --force-reinstall "
            "midjourney-api-mock (the two cannot share one environment until the mock's "
            "packages are namespaced)",
            name=name,
        )
    if not shadowing_ok:
        raise PackageClash(
            f"`import {name}` loads {origin}, which shadows midjourney-api-mock's `{name}` "
            f"package; rename your `{name}` module or package, or take it off sys.path",
            name=name,
        )
