"""`mj-mock serve`'s collector settings (`mock_server.modes.gc_policy`): survivors frozen after
each collection, and a reference cycle that became garbage after it was frozen still collected
by the periodic full collection. Process-wide, so each check runs in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_survivors_of_a_collection_are_frozen_and_thresholds_set() -> None:
    out = _run(
        """
        import gc
        from mock_server.modes import gc_policy
        gc_policy.install()
        print(gc.get_threshold())
        frozen = gc.get_freeze_count()
        kept = [[i] for i in range(5000)]  # lists are tracked; they survive the collection
        gc.collect(0)
        print(gc.get_freeze_count() - frozen >= 5000, len(gc.get_objects(0)) < 100)
        """
    )
    assert out.splitlines() == ["(2000, 10, 10)", "True True"]


def test_a_cycle_frozen_before_it_became_garbage_is_collected_in_the_end() -> None:
    out = _run(
        """
        import gc, time, weakref
        from mock_server.modes import gc_policy
        gc_policy.FULL_COLLECTION_EVERY = 0.05
        gc_policy.install()

        class Node:
            pass

        a, b = Node(), Node()
        a.other, b.other = b, a
        gc.collect(0)  # survives: frozen with everything else
        alive = weakref.ref(a)
        del a, b
        gc.collect()  # an automatic or explicit collection no longer sees it
        print(alive() is not None)
        deadline = time.monotonic() + 10
        while alive() is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        print(alive() is None)
        """
    )
    assert out.splitlines() == ["True", "True"]
