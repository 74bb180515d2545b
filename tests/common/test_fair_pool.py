"""The driver pool's fair turn (services/common/driver_pool.FairPool): a freed connection goes to the caller who asked
first. asyncpg hands connections out through an asyncio queue, where a caller that asks while a freed connection is
on its way to the waiter woken for it takes it instead; under load a few requests waited hundreds of milliseconds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg
import pytest

from services.common.dialect import driver_dsn
from services.common.driver_pool import FairPool
from tests.conftest import BACKEND


class QueuePool:
    """A pool that hands its connections out as asyncpg's does: through an asyncio queue (LIFO, as asyncpg's)."""

    def __init__(self, size: int) -> None:
        self.size, self.queue = size, asyncio.LifoQueue[str]()
        for n in range(size):
            self.queue.put_nowait(f"connection {n}")

    def get_max_size(self) -> int:
        return self.size

    def acquire(self) -> QueueLease:
        return QueueLease(self.queue)


class QueueLease:
    def __init__(self, queue: asyncio.LifoQueue[str]) -> None:
        self.queue = queue

    async def __aenter__(self) -> str:
        self.taken = await self.queue.get()
        return self.taken

    async def __aexit__(self, *_: object) -> None:
        self.queue.put_nowait(self.taken)


Acquire = Callable[[], AbstractAsyncContextManager[Any]]


async def turns(acquire: Acquire) -> list[str]:
    """Who holds the one connection, in turn: `a` holds it while `b` waits, then frees it and asks again at once."""
    held: list[str] = []
    a_may_go = asyncio.Event()

    async def a() -> None:
        async with acquire():
            held.append("a")
            await a_may_go.wait()
        async with acquire():  # a newcomer, arriving before the waiter woken for the connection has run
            held.append("a again")

    async def b() -> None:
        async with acquire():
            held.append("b")

    first = asyncio.create_task(a())
    await asyncio.sleep(0.01)
    second = asyncio.create_task(b())
    await asyncio.sleep(0.01)
    a_may_go.set()
    await asyncio.gather(first, second)
    return held


def test_an_asyncio_queue_lets_the_caller_that_frees_a_connection_take_it_back_before_the_one_waiting():
    assert asyncio.run(turns(QueuePool(1).acquire)) == ["a", "a again", "b"]


def test_a_freed_connection_goes_to_the_caller_who_asked_first():
    async def fair_turns() -> list[str]:
        return await turns(FairPool(QueuePool(1)).acquire)  # type: ignore[arg-type]

    assert asyncio.run(fair_turns()) == ["a", "b", "a again"]


def test_a_caller_cancelled_while_it_waits_gives_its_turn_back():
    async def serve_after_a_cancellation() -> str:
        fair = FairPool(QueuePool(1))  # type: ignore[arg-type]

        async def hold() -> None:
            async with fair.acquire():
                await asyncio.sleep(0.05)

        holder = asyncio.create_task(hold())
        await asyncio.sleep(0.01)
        waiting = asyncio.create_task(hold())
        await asyncio.sleep(0.01)
        waiting.cancel()
        await holder
        async with fair.acquire() as connection:
            return str(connection)

    assert asyncio.run(asyncio.wait_for(serve_after_a_cancellation(), 2)) == "connection 0"


@pytest.mark.skipif(BACKEND != "postgresql", reason="asyncpg's own pool: PostgreSQL only")
def test_asyncpgs_own_pool_behind_the_gate_serves_its_callers_in_the_order_they_asked(databases):
    url = driver_dsn(databases.create("fair_pool"))

    async def fair_turns() -> list[str]:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=1)
        try:
            return await turns(FairPool(pool).acquire)
        finally:
            await pool.close()

    assert asyncio.run(fair_turns()) == ["a", "b", "a again"]
