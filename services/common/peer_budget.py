"""A request's peer budget: every call to peers that one request makes shares one budget, counted from its start.

Without it an operation that asks a peer five times in a row could take five budgets; each client cuts its own call's
budget short by what is left of the request's (services/common/peer_exchange.py). The request's start is set by
the observe layer (services/common/observe.py), which sets everything a request's context holds in its one frame: a
layer of its own, a coroutine frame every await of the request passed through again, cost 0.5 % of an item page's
instructions and cache misses (bench.instructions).
"""

from __future__ import annotations

import time
from contextvars import ContextVar

# When the request being served began (time.monotonic()); None outside a request.
REQUEST_STARTED: ContextVar[float | None] = ContextVar("duban_request_started", default=None)


def request_deadline(budget: float) -> float:
    """The monotonic time by which a peer call must be answered: `budget` seconds after the request being served
    began, or after now outside a request (a worker's job, a relay)."""
    started = REQUEST_STARTED.get()
    return (time.monotonic() if started is None else started) + budget
