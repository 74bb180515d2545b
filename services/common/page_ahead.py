"""The next page of a walk asked for while this one is read: a paged read (a dispatch's obligations, a ledger's plan
side) spent each page's parse with the peer idle, then each page's fetch with itself idle. With the next page's
request on the wire before the parse starts, the peer answers it meanwhile. One page ahead at most, so a walk still has
one request at a time at the peer; a page asked for that the walk does not take (it stopped, or the body named another
cursor) is cancelled.

A task only runs when the walk awaits, and a parse never does: `ask` returns once the request is written (httpcore's
trace of the request body, announced through the fetch's context), or the fetch is over (a cached page, a failure)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

Fetched = TypeVar("Fetched")
Value = TypeVar("Value")
_SENT: contextvars.ContextVar[asyncio.Event | None] = contextvars.ContextVar("page request sent", default=None)
_WRITTEN = "http11.send_request_body.complete"  # httpcore's trace event once a request is on the wire


async def _announce(event: str, info: Mapping[str, Any]) -> None:
    if event == _WRITTEN and (sent := _SENT.get()) is not None:
        sent.set()


Trace = Callable[[str, Mapping[str, Any]], Awaitable[None]]  # httpcore's trace callback of an async request


def sending_trace() -> Mapping[str, Trace] | None:
    """The request extensions of a fetch asked for ahead (it announces when its request is written), else None."""
    return {"trace": _announce} if _SENT.get() is not None else None


class Ahead(Generic[Fetched]):
    """The page asked for before it is needed: `ask(cursor)` starts fetching it, `take(cursor)` waits for it (or
    fetches it now, if the one asked for ahead was another), `drop()` cancels what nobody will take."""

    def __init__(self, fetch: Callable[[str | None], Awaitable[Fetched]]) -> None:
        self._fetch = fetch
        self._pending: tuple[str | None, asyncio.Future[Fetched]] | None = None

    async def ask(self, cursor: str | None) -> None:
        """Start fetching the page at `cursor` (none: nothing), back once its request is written."""
        self.drop()
        if cursor is None:
            return
        sent = asyncio.Event()
        fetching = asyncio.ensure_future(_announcing(sent, self._fetch(cursor)))
        self._pending = cursor, fetching
        written = asyncio.ensure_future(sent.wait())
        try:
            await asyncio.wait((fetching, written), return_when=asyncio.FIRST_COMPLETED)
        finally:  # also when the walk is cancelled meanwhile: no waiter left behind
            written.cancel()

    async def take(self, cursor: str | None) -> Fetched:
        pending, self._pending = self._pending, None
        if pending is not None and pending[0] == cursor:
            return await pending[1]
        if pending is not None:
            _cancel(pending[1])
        return await self._fetch(cursor)

    def drop(self) -> None:
        if self._pending is not None:
            _cancel(self._pending[1])
            self._pending = None


async def _announcing(sent: asyncio.Event, fetch: Awaitable[Fetched]) -> Fetched:
    """`fetch`, whose request announces on `sent` once written (the variable is set in the fetch's own task)."""
    _SENT.set(sent)
    return await fetch


def at_cursor(query: Mapping[str, Value], cursor: str | None) -> Mapping[str, Value | str]:
    """A list's query for the page at `cursor` (the first page: the query itself)."""
    return query if cursor is None else {**query, "cursor": cursor}


def _cancel(future: asyncio.Future[Any]) -> None:
    """Cancel a fetch nobody waits for; one that already failed has its error retrieved (no warning at exit)."""
    if not future.cancel() and not future.cancelled():
        future.exception()
