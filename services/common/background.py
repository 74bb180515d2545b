"""Work an app repeats in the background while it serves: the event outbox relay, notify_api's dispatch loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress


class BackgroundLoop:
    """Runs `one_round()` over and over; each round returns how many seconds to wait before the next.

    stop() lets a round in progress finish, for at most `grace` seconds, before cancelling it: a round cancelled
    inside a write transaction can leave SQLite's write lock with a connection that nobody closes, and work cut
    short is only done again later (a delivery after its lease, an event at the next relay)."""

    def __init__(self, name: str, one_round: Callable[[], Awaitable[float]], *, grace: float) -> None:
        self.grace = grace
        self.stopping = asyncio.Event()
        self._one_round = one_round
        self.task = asyncio.create_task(self._run(), name=name)

    def done(self) -> bool:
        return self.task.done()

    async def stop(self) -> None:
        self.stopping.set()
        await asyncio.wait([self.task], timeout=self.grace)
        self.task.cancel()
        with suppress(asyncio.CancelledError):
            await self.task

    async def _run(self) -> None:
        while not self.stopping.is_set():
            pause = await self._one_round()
            with suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), pause)
