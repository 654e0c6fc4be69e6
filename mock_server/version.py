"""The installed version of the mock, for `/__mock/health` and the hook User-Agent."""

from __future__ import annotations

import functools

__all__ = ["mock_version"]


@functools.cache
def mock_version() -> str:
    """The installed version (read from package metadata once: it cost a fifth of a fixture;
    and imported only then: importing importlib.metadata was 11 ms of `mj-mock serve`'s start)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("midjourney-api-mock")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"
