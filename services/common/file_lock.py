"""One process at a time: an advisory `flock` on a file, held by an open file, so a killed process's lock goes with
its process, and the next one runs without waiting for any lease."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from services.common.problems import Conflict


@contextmanager
def file_lock(path: str, *, busy: str) -> Iterator[None]:
    """Hold the lock on `path` for the block; Conflict(busy) while another process holds it."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(busy) from None
        yield
    finally:
        os.close(descriptor)  # closing the file releases the lock
