"""One helper object per backend, made on first use and forgotten with the backend.

The request journal, the scenario player and the item cache each keep state beside a backend
without the backend knowing them (it has no Flask and no journal). They share this: a weak map
from backend to part, so a dropped mock frees its parts, and the part's reset method tied to the
backend's reset, so a `/__mock/reset` clears them with everything else.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from mock_server.domain.lifecycle import MidjourneyBackend

__all__ = ["PerBackend"]

Part = TypeVar("Part")


class PerBackend(Generic[Part]):
    """`PerBackend(make, reset)(backend)`: the backend's part, made by `make(backend)` once and
    reset by `reset(part)` on every backend reset."""

    def __init__(
        self,
        make: Callable[[MidjourneyBackend], Part],
        reset: Callable[[Part], None],
    ) -> None:
        self._make = make
        self._reset = reset
        self._parts: weakref.WeakKeyDictionary[MidjourneyBackend, Part] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def __call__(self, backend: MidjourneyBackend) -> Part:
        part = self._parts.get(backend)  # no lock on the hot path: a part, once made, stays
        if part is None:
            with self._lock:
                part = self._parts.get(backend)
                if part is None:
                    part = self._parts[backend] = self._make(backend)
                    made = part
                    backend.on_reset(lambda: self._reset(made))
        return part
