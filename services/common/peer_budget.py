"""A request's peer budget: every call to peers that one request makes shares one deadline.

Without it an operation that asks a peer five times in a row could take five budgets; each client cuts its own call's
budget short by what is left of the request's (services/common/http.py)."""

from __future__ import annotations

import time
from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

# When the request being served must be answered by; every peer call it makes shares this one budget.
_request_deadline: ContextVar[float | None] = ContextVar("duban_peer_deadline", default=None)


def request_deadline() -> float | None:
    """The monotonic time the request being served must be answered by (None outside a request)."""
    return _request_deadline.get()


class PeerBudgetMiddleware:
    """Starts each request's peer budget: all its calls to peers together get `seconds`, not each call."""

    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        token = _request_deadline.set(time.monotonic() + self.seconds)
        try:
            await self.app(scope, receive, send)
        finally:
            _request_deadline.reset(token)
