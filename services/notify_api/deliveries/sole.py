"""One dispatcher at a time on SQLite (PostgreSQL replicas share the work through SKIP LOCKED claims).

The lock is an advisory `flock` on a file beside the database: held by an open file, so a killed
dispatcher's lock goes with its process, and the next dispatch runs without waiting for any lease."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from services.common.db import Database
from services.common.problems import Conflict


def lock_path(db: Database) -> str | None:
    """The lock file of a SQLite database; None on PostgreSQL."""
    url = db.engine.url
    return f"{url.database}.dispatcher.lock" if url.get_backend_name() == "sqlite" and url.database else None


@contextmanager
def sole_dispatcher(db: Database) -> Iterator[None]:
    """Hold the database's dispatcher lock for the block; 409 while another dispatcher holds it."""
    path = lock_path(db)
    if path is None:
        yield
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(
                "Another dispatcher is running on this SQLite database, which allows one at a time; "
                "nothing was planned. Try again when it has finished."
            ) from None
        yield
    finally:
        os.close(descriptor)  # closing the file releases the lock
