"""Handing the memory a batch freed back to the system (glibc's malloc_trim), soon after the batch.

Parsing a province's plan (tens of MB of JSON) frees its chunks and each slice's transient tree once its records are
built (contracts/sliced.py: a few MB at a time, ~60 MB when the JSON was parsed whole), and a request's rows are freed
when it ends; glibc keeps such freed memory in its heap, so the process's
resident set stayed hundreds of MB above idle after the roll-ups of every plan. malloc_trim(0) returns the free
pages (10-50 ms for a heap of a few hundred MB), so it is asked for only after a large batch, once, a moment later
(when the request's own objects are gone too), however many batches end meanwhile. Elsewhere than glibc it does
nothing. What it cannot return: CPython's own allocator keeps objects under 512 bytes in 1 MiB arenas and frees an
arena only once every object in it is gone. After the roll-ups of the bench's 50 plans reporting_api held ~30 MB of
empty 16 KiB pools in arenas that a few kept objects (the caches' records) pin (sys._debugmallocstats()).
"""

from __future__ import annotations

import asyncio
import ctypes
from collections.abc import Callable

TRIM_DELAY = 1.0  # seconds after a batch: its request has answered and dropped its objects by then


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None (musl, macOS: no such function)."""
    try:
        return getattr(ctypes.CDLL(None), "malloc_trim", None)
    except OSError:
        return None


# Resolved once, kept out of the instances: an app's state is copied (tests), and a C function cannot be.
LIBRARY_TRIM = _malloc_trim()


class MemoryTrim:
    """One malloc_trim(0) `delay` seconds after the first batch that asks for one (`soon`), the others meanwhile
    folded into it. Held by the app (its own loop's timer)."""

    def __init__(self, delay: float = TRIM_DELAY, trim: Callable[[int], int] | None = None) -> None:
        self.delay = delay
        self._trim = trim  # None: the C library's (LIBRARY_TRIM)
        self._pending: asyncio.TimerHandle | None = None
        self.trims = 0  # how many were made (tests)

    def soon(self) -> None:
        """Ask for a trim a moment from now (on the running loop), unless one is pending already."""
        if self._pending is not None or (self._trim or LIBRARY_TRIM) is None:
            return
        self._pending = asyncio.get_running_loop().call_later(self.delay, self._run)

    def _run(self) -> None:
        self._pending = None
        if (trim := self._trim or LIBRARY_TRIM) is not None:
            trim(0)
            self.trims += 1
