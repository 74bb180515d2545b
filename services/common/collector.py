"""Python's cyclic garbage collector: tuned while an app serves, paused around bulk work that builds millions of
plain objects."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Reference counting still frees every object as it goes; only the search for reference cycles waits.

    A province's dispatch holds a million deadlines and notices at once, and each collection of the oldest
    generation walks all of them: with the collector running, sorting out what is due and addressing it took
    2.5 times as long. The work is plain dicts, tuples and frozen records, which form no cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# Allocations between two collections of the youngest generation (Python's default: 700).
YOUNG_GENERATION_THRESHOLD = 20_000


class _CollectorWhileServing:
    """While an app serves: the objects alive at start-up are never scanned again, and collections are rarer.

    A roll-up builds tens of thousands of objects per request; with the defaults they were promoted to the oldest
    generation, whose collections (every few requests) scanned every object the imports had made: 40–200 ms
    pauses, the roll-up's p95. Frozen, the start-up heap is left out of every collection (it lives as long as the
    process anyway), and with a higher threshold a request's objects mostly die before their first collection.
    Objects are still freed by reference counting as they go; only cycles wait a little longer. Apps may overlap
    in one process (tests): the first to start sets this up, the last to stop puts the collector back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._serving = 0
        self._thresholds = gc.get_threshold()

    @contextmanager
    def serving(self) -> Iterator[None]:
        with self._lock:
            if self._serving == 0:
                self._thresholds = gc.get_threshold()
                gc.freeze()
                gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *self._thresholds[1:])
            self._serving += 1
        try:
            yield
        finally:
            with self._lock:
                self._serving -= 1
                if self._serving == 0:
                    gc.set_threshold(*self._thresholds)
                    gc.unfreeze()


collector_while_serving = _CollectorWhileServing().serving
