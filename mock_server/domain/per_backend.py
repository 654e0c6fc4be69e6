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
        # The last backend asked for and its part: a server asks for the same one on every
        # request, and the weak map's lookup (a new weakref each time) was 5% of a 1-id
        # job-status answer. The weakref's callback forgets the part with its backend.
        self._last: tuple[weakref.ref[MidjourneyBackend], Part] | None = None

    def __call__(self, backend: MidjourneyBackend) -> Part:
        last = self._last
        if last is not None and last[0]() is backend:
            return last[1]
        part = self._parts.get(backend)  # no lock on the hot path: a part, once made, stays
        if part is None:
            with self._lock:
                part = self._parts.get(backend)
                if part is None:
                    part = self._parts[backend] = self._make(backend)
                    made = part
                    backend.on_reset(lambda: self._reset(made))
        self._last = (weakref.ref(backend, self._forget), part)
        return part

    def _forget(self, gone: weakref.ref[MidjourneyBackend]) -> None:
        last = self._last
        if last is not None and last[0] is gone:
            self._last = None
