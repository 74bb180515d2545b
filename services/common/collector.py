"""Python's cyclic garbage collector: the start-up heap frozen once in API and worker processes, nothing else.

The collector is process-wide and requests share it, so no code turns it off or retunes it (a dispatch once paused
it for its whole run; the worker's jobs are plain dicts and tuples, and the run meets its figures without that)."""

from __future__ import annotations

import gc


def freeze_start_up_heap() -> None:
    """At start-up: the objects alive now (imports, the app) are moved out of every generation, so no collection
    scans them again; they live as long as the process anyway."""
    gc.freeze()
