"""The job budget: how many submits the whole run may make, because on `live` quota is money.

One slot is one file in a directory shared by every process of the run (pytest-xdist workers
included), taken with `O_CREAT | O_EXCL`: atomic on every OS, no lock, no server. A reservation
takes a slot before a request that *should* be refused and gives it back when it was; so a
target that wrongly accepts it has still spent no more than the budget allows.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

__all__ = ["BUDGET_SKIP_REASON", "JobBudget", "Reservation"]

BUDGET_SKIP_REASON = (
    "job budget used up: --mj-max-jobs {limit} allows {limit} submit(s) in this run; "
    "raise --mj-max-jobs to run this test"
)


class Reservation:
    """A slot held for one request; `used` says the target took the job, so keep the slot."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.used = False


class JobBudget:
    def __init__(self, limit: int, directory: Path) -> None:
        if limit < 0:
            raise ValueError("the job budget cannot be negative")
        self.limit = limit
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._hint = 0

    def _take(self) -> Path | None:
        order = list(range(self._hint, self.limit)) + list(range(min(self._hint, self.limit)))
        for index in order:
            path = self.directory / f"job-{index:07d}"
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                continue
            os.close(fd)
            self._hint = index + 1
            return path
        return None

    def spent(self) -> int:
        return sum(1 for entry in self.directory.iterdir() if entry.name.startswith("job-"))

    def remaining(self) -> int:
        return max(0, self.limit - self.spent())

    def skip(self) -> NoReturn:
        """Skip the calling test for want of budget (one place, so one line in `-ra`)."""
        pytest.skip(BUDGET_SKIP_REASON.format(limit=self.limit))

    def spend(self) -> None:
        """Take one job from the budget, or skip the calling test."""
        if self._take() is None:
            self.skip()

    @contextlib.contextmanager
    def reserve(self) -> Iterator[Reservation]:
        """Hold a slot around a request that should not create a job; it is given back unless
        the block sets `reservation.used` (or raises before saying)."""
        path = self._take()
        if path is None:
            self.skip()
        reservation = Reservation(path)
        try:
            yield reservation
        except BaseException:
            raise
        else:
            if not reservation.used:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
