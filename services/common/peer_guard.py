"""The rule "no call to a peer while a database connection is held", checked where the two meet.

A transaction held across an HTTP call keeps its locks (SQLite's single write lock, PostgreSQL's row locks) and its
pool slot for as long as the peer takes, up to the whole peer budget; a read connection held so keeps its pool slot.
The rule is to read the peers first, then open one short transaction that re-checks and writes. The database seam
(services/common/db.py) marks the context while it lends a connection out, and the peer client
(services/common/http.py) looks at the mark before every call, so the rule is checked on every path the tests take,
not only on the sites someone thought of.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from services.common.settings import Environment, ServiceSettings

logger = logging.getLogger("duban.peers")

# What the database seam has lent out in this context ("transaction" or "read connection"), or None.
_held: ContextVar[str | None] = ContextVar("duban_connection_held", default=None)


class PeerCallInTransaction(RuntimeError):
    """A programming error: a peer was called while a database connection was held."""


@contextmanager
def holding(what: str) -> Iterator[None]:
    """Mark the context as holding a database connection (`what` names it) for the length of the block."""
    token = _held.set(what)
    try:
        yield
    finally:
        _held.reset(token)


def check_peer_call(peer: str, method: str, path: str, *, strict: bool) -> None:
    """Refuse (strict: tests) or log (production) a call to `peer` made while a connection is held."""
    held = _held.get()
    if held is None:
        return
    message = (
        f"{method} {path} to {peer} while a database {held} is open: read the peers first, "
        "then open one short transaction that re-checks and writes"
    )
    if strict:
        raise PeerCallInTransaction(message)
    logger.error(message)


def strict_in(settings: ServiceSettings) -> bool:
    """Whether the peer clients of a service with these settings raise on the rule (tests) or only log."""
    return settings.environment is Environment.TEST
