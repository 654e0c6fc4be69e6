"""The garbage collector's settings for a process that is the mock server (`mj-mock serve`).

The mock keeps every task it creates (until `task_retention_seconds`), so under submit load its
store grows by thousands of objects a second, and CPython's generational collector walks every
survivor again at each collection of an older generation: on a 2-core machine a collection of
the young generations took 10-40 ms and a full one 450 ms at 300,000 tasks, and those pauses
were the submit p99 (20-40 ms at 32 connections; bench/README.md).

So the survivors of each collection are frozen (`gc.freeze()`: moved where no automatic
collection looks again), and young collections are kept small and frequent: each pause is then
the young generation only, about 1-4 ms. Frozen objects are still freed by reference counting
(an expired task goes as before); only a reference cycle that became garbage after it was
frozen would stay, so once a minute everything is unfrozen and collected whole, one pause of
the old kind (about 0.5 s at 300,000 tasks) instead of one every few seconds.

Only for a process that is the server: a test process that starts a `MockServer` keeps its own
collector as it is.
"""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

__all__ = ["FULL_COLLECTION_EVERY", "THRESHOLDS", "install"]

# Allocations before a young collection, then young collections per middle one, as CPython's
# own defaults (700, 10, 10) but with a larger first step: measured at 2000, 5000 and 20000
# under submit load at 32 connections (p99 4-6, 7-10 and 19-22 ms with freezing).
THRESHOLDS = (2000, 10, 10)
FULL_COLLECTION_EVERY = 60.0

_installed = threading.Event()


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop":
        gc.freeze()


def _collect_whole() -> None:
    while True:
        time.sleep(FULL_COLLECTION_EVERY)
        gc.unfreeze()
        gc.collect()
        gc.freeze()


def install() -> None:
    """Tune this process's collector as above (once; later calls do nothing). The minutely
    full collection runs on a daemon thread, which ends with the process."""
    if _installed.is_set():
        return
    _installed.set()
    gc.freeze()  # what start-up made (Flask, jsonschema, the schemas) is never walked again
    gc.set_threshold(*THRESHOLDS)
    gc.callbacks.append(_freeze_survivors)
    threading.Thread(target=_collect_whole, name="mj-mock-gc", daemon=True).start()
