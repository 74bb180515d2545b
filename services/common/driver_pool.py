"""PostgreSQL's bare asyncpg connections, beside the engine (architecture §6): the reads whose rows SQLAlchemy's result
handling would cost more than the query (a list's page, a roll-up's period, a plan's documents). Made by
dialect.Postgres.open_driver_pool; SQLite has none (driver_reads.NO_DRIVER_POOL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import TracebackType
from typing import cast

import asyncpg
import orjson
import sqlalchemy as sa
from asyncpg.pool import PoolConnectionProxy

from services.common.driver_reads import Pending, Read, Rows, driver_statement, started

# PostgreSQL's planner assumes spinning disks (a random read costs four sequential ones); on SSD, 1.1 is usual. With the
# default it scans a 100,000-row table rather than follow an index to one plan's thousand rows (bench/explain.py).
# No parallel plans: a service's statements answer requests side by side, and a parallel plan starts worker processes
# (milliseconds each) to share work the request's own backend does faster alone. A dispatch's read of the latest
# drafts of a typical plan's period (0 rows) took 21 ms with two workers, 1.4 ms without; the whole day's peer read
# 4.1 s -> 3.0 s (bench/dispatch.py). A parallel plan would only pay for one request's big scan, on idle cores.
# No JIT: the services' statements are short, and its compiling was most of a long one's time: a roll-up's latest
# indicator values (oversight/repository.py latest_points_statement) ran in ~18 ms and spent 10-270 ms more
# compiling, its cost estimated high (the planner takes a plan's ~1,000 indicators for 22,000).
POSTGRESQL_SETTINGS = {"random_page_cost": "1.1", "max_parallel_workers_per_gather": "0", "jit": "off"}
# asyncpg waits 60 s for a connection by default: a database host that drops packets would hold every request.
CONNECT_TIMEOUT_SECONDS = 5
# asyncpg keeps up to 2,000 freed records of each length for reuse: those a read of 50,000 rows freed stayed
# scattered over the memory it used and kept it from the system. It keeps none of a subclass: each of these is freed.
FreedRecord = type("FreedRecord", (asyncpg.Record,), {"__slots__": ()})
SESSION = {"server_settings": POSTGRESQL_SETTINGS, "timeout": CONNECT_TIMEOUT_SECONDS, "record_class": FreedRecord}
_FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError)


class DriverError(Exception):
    """A statement on the driver pool failed: its args are the driver's message and SQLSTATE (None if it has none)."""


async def open_pool(url: str, *, max_size: int, dialect: sa.Dialect) -> AsyncPool:
    # It connects only when a request needs a connection, so a database that is not there yet does not stop the
    # service from starting.
    pool = await asyncpg.create_pool(
        url,
        min_size=0,
        max_size=max_size,
        init=_decode_json,
        reset=keep_session,
        server_settings=POSTGRESQL_SETTINGS,  # SESSION's three, by name: the checker types each
        timeout=CONNECT_TIMEOUT_SECONDS,
        record_class=FreedRecord,
    )
    return AsyncPool(FairPool(pool), dialect)


class FairPool:
    """An asyncpg pool whose connections go to the callers in the order they asked. asyncpg hands them out through
    an asyncio queue: a caller that asks while a freed connection is on its way to the waiter woken for it takes it
    instead, and the waiter queues again at the back. With 32 requests on 10 connections a few waited hundreds of
    milliseconds (the bench's raw item list, p50 4.7 ms: p99 70-546 ms; with this gate 10-14 ms, and no fewer
    requests a second). A semaphore of the pool's size in front (asyncio's serves its waiters first come, first
    served) keeps a queue from ever forming inside asyncpg."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool, self._gate = pool, asyncio.Semaphore(pool.get_max_size())

    def acquire(self) -> _FairAcquire:
        return _FairAcquire(self.pool, self._gate)

    async def close(self) -> None:
        await self.pool.close()


class _FairAcquire:
    """`async with fair.acquire() as connection`: the gate's turn, then a connection (both given back on exit)."""

    __slots__ = ("_gate", "_taken")

    def __init__(self, pool: asyncpg.Pool, gate: asyncio.Semaphore) -> None:
        self._gate, self._taken = gate, pool.acquire()  # asyncpg's acquiring context: nothing taken until entered

    async def __aenter__(self) -> PoolConnectionProxy[asyncpg.Record]:
        await self._gate.acquire()
        try:
            return await self._taken.__aenter__()
        except BaseException:
            self._gate.release()
            raise

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            await self._taken.__aexit__(kind, error, trace)
        finally:
            self._gate.release()


class AsyncPool:
    """Each read runs at once on a bare connection, its statement compiled once into asyncpg's SQL."""

    def __init__(self, pool: FairPool, dialect: sa.Dialect) -> None:
        self._pool, self._dialect = pool, dialect

    def start(self, conn: object, read: Read) -> Pending:
        return started(asyncio.ensure_future(self.rows(read)))

    async def rows(self, read: Read) -> Rows:
        try:
            async with self._pool.acquire() as connection:
                records = await connection.fetch(*driver_statement(self._dialect, read))
        except _FAILURES as exc:
            raise DriverError(str(exc), getattr(exc, "sqlstate", None)) from exc
        # Not a Mapping to the checker, but a Record reads like one (row["name"], keys(), items()): all its readers use.
        return cast(Rows, records)

    async def json_rows(self, read: Read, size: int) -> AsyncIterator[bytes]:
        """The statement's rows as JSON objects, `size` at a time, comma-separated: rendered by PostgreSQL
        (row_to_json), so that a plan's 150,000 rows never become Python values here (a province's duties: 536 ms of
        this process's CPU through SQLAlchemy's rows and orjson, 115 ms so). Read through a cursor, in a transaction
        of its own; a subquery's order is its outer query's, as PostgreSQL plans a scan of it."""
        sql, *arguments = driver_statement(self._dialect, read)
        try:
            async with self._pool.acquire() as connection, connection.transaction():
                cursor = await connection.cursor(f"SELECT row_to_json(r)::text FROM ({sql}) AS r", *arguments)
                while rows := await cursor.fetch(size):
                    yield ",".join([row[0] for row in rows]).encode()
        except _FAILURES as exc:
            raise DriverError(str(exc), getattr(exc, "sqlstate", None)) from exc

    async def json_column_blocks(self, read: Read, size: int) -> bytes:
        """`[{"<column>": [<values>], ...}, ...]` of the statement, `size` rows a block, rendered by PostgreSQL: the
        rows numbered in the statement's order (a subquery's order is its outer query's, as PostgreSQL plans a scan
        of it), each block's lists aggregated in that order. A province's 100,000 responsibilities: 4.6 MB against
        8.7 MB as objects, in half of PostgreSQL's time and a tenth of this process's CPU."""
        statement, _ = read
        sql, *arguments = driver_statement(self._dialect, read)
        names = [column.key for column in statement.selected_columns]  # a label's key is its name
        lists = ", ".join(f"'{name}', json_agg(r.\"{name}\" ORDER BY r.duban_row)" for name in names)
        block = f"(r.duban_row - 1) / {int(size)}"
        numbered = f"SELECT s.*, row_number() OVER () AS duban_row FROM ({sql}) AS s"
        try:
            async with self._pool.acquire() as connection:
                blocks = await connection.fetch(
                    f"SELECT json_build_object({lists})::text FROM ({numbered}) AS r GROUP BY {block} ORDER BY {block}",
                    *arguments,
                )
        except _FAILURES as exc:
            raise DriverError(str(exc), getattr(exc, "sqlstate", None)) from exc
        return b"[%s]" % ",".join([row[0] for row in blocks]).encode()

    def sizes(self) -> tuple[int, int]:
        return self._pool.pool.get_idle_size(), self._pool.pool.get_size()

    async def close(self) -> None:
        await self._pool.close()


async def _decode_json(connection: asyncpg.Connection) -> None:
    # asyncpg hands json columns over as text; decoded here they encode again exactly as the engine's rows do.
    await connection.set_type_codec(
        "json", schema="pg_catalog", encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads
    )


async def keep_session(connection: asyncpg.Connection) -> None:
    """Hot reads run single SELECTs and leave no session state: asyncpg's reset (RESET ALL, UNLISTEN, CLOSE ALL, one
    more round trip a request) has nothing to undo; an open transaction is still rolled back by the pool first. The
    bench's raw baselines release their connections with it too, as the services' pool does."""
