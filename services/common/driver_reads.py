"""Reads of a plan's thousands of rows straight from asyncpg, past SQLAlchemy's row processing.

A roll-up reads a plan's period in three statements of thousands of rows, and SQLAlchemy's result handling cost
a fifth of the request (py-spy). On PostgreSQL the same SQLAlchemy statement, compiled once into asyncpg's SQL,
runs on the bare connections of `Database.driver_pool` (services/common/db.py), the statements side by side,
and the rows come back as asyncpg Records, which are read by column name like the dicts of the other path. On
SQLite (no driver pool) the statements run one after the other on the caller's connection, as any other read.
On PostgreSQL the statements run in autocommit, each on its own snapshot, as every read of `Database.read` does.

Statements given here must be built once (module constants or cached builders) with `bindparam`s for what
changes between calls: they are compiled once per statement object.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from sqlalchemy import Dialect, Select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import Database
from services.common.records import plain_rows

Rows = Sequence[Mapping[str, Any]]
Read = tuple[Select[Any], Mapping[str, Any]]  # a statement and the values of its bindparams


class Reading:
    """Statements under way: on PostgreSQL each already runs on its own connection of the driver pool (the caller
    waits for the slowest, not for their sum, and may compute meanwhile); on SQLite each runs on the caller's
    connection when its rows are asked for. Ask for each statement's rows once."""

    def __init__(self, db: Database, conn: AsyncConnection, reads: Sequence[Read]) -> None:
        self._conn = conn
        self._reads = reads
        pool = db.driver_pool
        self._running = (
            None if pool is None else [asyncio.ensure_future(_fetch(pool, db.engine.dialect, read)) for read in reads]
        )

    async def rows(self, index: int) -> Rows:
        """The rows of the `index`-th statement."""
        if self._running is not None:
            return await self._running[index]
        statement, values = self._reads[index]
        return plain_rows(await self._conn.execute(statement, dict(values)))

    async def all(self) -> list[Rows]:
        """The rows of each statement, in the order given."""
        return [await self.rows(index) for index in range(len(self._reads))]

    async def settle(self) -> None:
        """Wait for the statements nobody asked for (the caller failed first). They are let finish, not cancelled:
        they are short reads, and a statement cancelled mid-flight costs its connection."""
        if self._running is not None:
            await asyncio.gather(*self._running, return_exceptions=True)


@asynccontextmanager
async def reading(db: Database, conn: AsyncConnection, reads: Sequence[Read]) -> AsyncIterator[Reading]:
    """The statements started (PostgreSQL) or ready to run (SQLite) for the block."""
    under_way = Reading(db, conn, reads)
    try:
        yield under_way
    finally:
        await under_way.settle()


async def read_all(db: Database, conn: AsyncConnection, reads: Sequence[Read]) -> list[Rows]:
    """The rows of each statement, in the order given."""
    async with reading(db, conn, reads) as under_way:
        return await under_way.all()


async def _fetch(pool: asyncpg.Pool, dialect: Dialect, read: Read) -> Rows:
    async with pool.acquire() as connection:
        records = await fetch(connection, dialect, read)
    # asyncpg's Record is no Mapping to the checker (it iterates its values), but it reads like one (row["name"],
    # keys(), items()), and that is all the readers of these rows do.
    return cast(Rows, records)


async def fetch(
    connection: asyncpg.Connection | PoolConnectionProxy, dialect: Dialect, read: Read
) -> list[asyncpg.Record]:
    """The rows of one statement on a bare asyncpg connection."""
    return await connection.fetch(*driver_statement(dialect, read))


def driver_statement(dialect: Dialect, read: Read) -> tuple[Any, ...]:
    """(asyncpg's SQL, its arguments in order) for a statement and the values of its bindparams."""
    statement, values = read
    sql, defaults, names = _compiled(statement, dialect)
    arguments = {**defaults, **values}
    return sql, *(arguments[name] for name in names)


@lru_cache(maxsize=64)
def _compiled(statement: Select[Any], dialect: Dialect) -> tuple[str, dict[str, Any], tuple[str, ...]]:
    """asyncpg's SQL ($1, $2 …), the values SQLAlchemy bound itself (literals of the statement), and the order
    of the parameters."""
    compiled = statement.compile(dialect=dialect)
    return compiled.string, dict(compiled.params), tuple(compiled.positiontup or ())
