"""Misbehaviour on demand: the failures a client must survive, injected by tests.

A fault is chosen here, once per request, by the same rules in server and in-process mode; how it
is carried out (a status, a delay, a truncated body, a dropped connection) is the transport's job.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from typing import Any

from mock_server.domain.clock import Clock
from mock_server.records import Fault

__all__ = ["ENDPOINTS", "FaultInjector"]

# Where a fault may apply; "*" means both provider endpoints (not the CDN).
ENDPOINTS = ("*", "submit-jobs", "job-status", "cdn")


class FaultInjector:
    """Installed faults, first match wins; probabilities draw from a seeded generator so a
    flaky-network test is reproducible."""

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self._cleared = threading.Condition(self._lock)
        self._generation = 0
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._rng = random.Random(seed)

    def add(self, spec: dict[str, Any]) -> Fault:
        """Install a fault from a body already validated by `control_fault_request`."""
        probability = spec.get("probability")
        fault = Fault(
            fault_id=f"fault-{next(self._ids)}",
            kind=spec["kind"],
            endpoint=spec.get("endpoint", "*"),
            status=spec.get("status"),
            latency=None if spec.get("latency") is None else float(spec["latency"]),
            remaining=None if probability is not None else int(spec.get("count", 1)),
            probability=None if probability is None else float(probability),
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, endpoint: str) -> Fault | None:
        """The fault this request gets, if any, counting it as used."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(endpoint):
                    continue
                if fault.probability is not None:
                    if self._rng.random() >= fault.probability:
                        continue
                elif fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                fault.hits += 1
                return fault
        return None

    @property
    def active(self) -> bool:
        """Whether any fault is installed: a cheap look, without the lock (one length read),
        for the fast path, which steps aside whenever a request might get a fault."""
        return bool(self._faults)

    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        """Remove every fault; requests delayed by a latency fault are answered at once."""
        with self._lock:
            self._faults.clear()
            self._rng = random.Random(self._seed)
            self._generation += 1
            self._cleared.notify_all()

    # A manual clock has no way to wake a waiter, so a delayed request looks at it this often.
    MANUAL_POLL = 0.02
    # [decision] On a manual clock nobody may ever advance it: never hold a request longer.
    MANUAL_WAIT_CAP = 30.0

    def delay(self, seconds: float, clock: Clock) -> None:
        """Hold a request `seconds` on the mock's clock: wall time on a real clock; on a manual
        one, until the clock has moved `seconds` (a test advances it), never sleeping wall time
        for nothing. A clear or reset ends the wait at once."""
        target = clock.now() + seconds
        cap = time.monotonic() + (self.MANUAL_WAIT_CAP if clock.manual else seconds)
        with self._cleared:
            generation = self._generation
            while self._generation == generation:
                remaining = min(target - clock.now(), cap - time.monotonic())
                if remaining <= 0:
                    return
                self._cleared.wait(min(remaining, self.MANUAL_POLL) if clock.manual else remaining)
