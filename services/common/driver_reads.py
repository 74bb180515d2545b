"""Reads of a plan's thousands of rows straight from asyncpg, past SQLAlchemy's row processing.

A roll-up reads a plan's period in three statements of thousands of rows, and SQLAlchemy's result handling cost
a fifth of the request (py-spy). On PostgreSQL the same SQLAlchemy statement, compiled once into asyncpg's SQL,
runs on the bare connections of `Database.driver_pool` (services/common/dialect.py), the statements side by side,
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
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Dialect, Select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import plain_rows

if TYPE_CHECKING:  # db.py makes a Database with its driver pool, of the kinds defined here
    from services.common.db import Database

Rows = Sequence[Mapping[str, object]]  # read by column name; the caller, which knows the statement, types them
Read = tuple[Select[Any], Mapping[str, object]]  # a statement and the values of its bindparams


class Pending(Protocol):
    """One statement under way, or ready to run: ask for its rows once."""

    async def rows(self) -> Rows: ...

    async def settle(self) -> None: ...


class DriverPool(Protocol):
    """Where the statements run: PostgreSQL's bare asyncpg connections (services/common/dialect.py), or the
    caller's connection (NO_DRIVER_POOL)."""

    def start(self, conn: AsyncConnection | None, read: Read) -> Pending: ...

    async def rows(self, read: Read) -> Rows:
        """The statement's rows, run at once on a connection of the pool (Database.fetch, for a list's page); a
        failure raises services.common.driver_pool.DriverError."""

    def json_rows(self, read: Read, size: int) -> AsyncIterator[bytes]:
        """The statement's rows as JSON objects, `size` at a time, comma-separated (Database.json_batches)."""

    async def json_column_blocks(self, read: Read, size: int) -> bytes:
        """The statement's rows as JSON blocks of a list per column, `size` rows a block
        (Database.json_column_blocks)."""

    def sizes(self) -> tuple[int, int] | None:
        """Connections (idle, open) now, for /metrics; None without a pool of its own."""

    async def close(self) -> None: ...


class _OnConnection:
    """A statement run on the caller's connection when its rows are asked for."""

    def __init__(self, conn: AsyncConnection, read: Read) -> None:
        self._conn, self._read = conn, read

    async def rows(self) -> Rows:
        statement, values = self._read
        return plain_rows(await self._conn.execute(statement, dict(values)))

    async def settle(self) -> None:
        return None


class _NoDriverPool:
    """The statements run one after the other on the caller's connection, as any other read (SQLite: Database.fetch
    reads a list page on a read connection of its own)."""

    def start(self, conn: AsyncConnection | None, read: Read) -> Pending:
        if conn is None:
            raise LookupError("no driver pool: the reads run on a read connection (Database.reads opens one)")
        return _OnConnection(conn, read)

    async def rows(self, read: Read) -> Rows:
        raise LookupError("no driver pool: read on a connection (Database.fetch does)")

    def json_rows(self, read: Read, size: int) -> AsyncIterator[bytes]:
        raise LookupError("no driver pool: render the rows of a connection (Database.json_batches does)")

    async def json_column_blocks(self, read: Read, size: int) -> bytes:
        raise LookupError("no driver pool: render the rows of a connection (Database.json_column_blocks does)")

    def sizes(self) -> None:
        return None

    async def close(self) -> None:
        return None


NO_DRIVER_POOL: DriverPool = _NoDriverPool()


class _Started:
    def __init__(self, running: asyncio.Future[Rows]) -> None:
        self._running = running

    async def rows(self) -> Rows:
        return await self._running

    async def settle(self) -> None:
        # Let finish, not cancelled: they are short reads, and a statement cancelled mid-flight costs its connection.
        await asyncio.gather(self._running, return_exceptions=True)


class _Taken:
    """A statement whose rows were handed out: they are the caller's, not kept here (a caller that folds them as
    it takes them frees each statement's rows before the next's)."""

    async def rows(self) -> Rows:
        raise RuntimeError("a statement's rows are handed out once")

    async def settle(self) -> None:
        return None


TAKEN = _Taken()


def started(running: asyncio.Future[Rows]) -> Pending:
    """A statement already running on its own connection."""
    return _Started(running)


class _Deferred:
    """A statement started only when its rows are asked for."""

    def __init__(self, pool: DriverPool, conn: AsyncConnection | None, read: Read) -> None:
        self._pool, self._conn, self._read = pool, conn, read

    async def rows(self) -> Rows:
        return await self._pool.start(self._conn, self._read).rows()

    async def settle(self) -> None:
        return None


class Reading:
    """Statements under way: on PostgreSQL each already runs on its own connection of the driver pool (the caller
    waits for the slowest, not for their sum, and may compute meanwhile); on SQLite each runs on the caller's
    connection when its rows are asked for. Not `side_by_side`, each starts when its rows are asked for: a caller
    that folds each statement's rows before asking for the next never holds two statements' rows (a province plan's
    period: 50,000 rows a statement). Ask for each statement's rows once."""

    def __init__(
        self, db: Database, conn: AsyncConnection | None, reads: Sequence[Read], *, side_by_side: bool = True
    ) -> None:
        pool = db.driver_pool
        self._pending = [pool.start(conn, read) if side_by_side else _Deferred(pool, conn, read) for read in reads]

    async def rows(self, index: int) -> Rows:
        """The rows of the `index`-th statement, handed out once."""
        rows = await self._pending[index].rows()
        self._pending[index] = TAKEN
        return rows

    async def all(self) -> list[Rows]:
        """The rows of each statement, in the order given."""
        return [await self.rows(index) for index in range(len(self._pending))]

    async def settle(self) -> None:
        """Wait for the statements nobody asked for (the caller failed first)."""
        await asyncio.gather(*(pending.settle() for pending in self._pending))


@asynccontextmanager
async def reading(
    db: Database, conn: AsyncConnection | None, reads: Sequence[Read], *, side_by_side: bool = True
) -> AsyncIterator[Reading]:
    """The statements started (PostgreSQL, `side_by_side`) or ready to run for the block."""
    under_way = Reading(db, conn, reads, side_by_side=side_by_side)
    try:
        yield under_way
    finally:
        await under_way.settle()


async def read_all(db: Database, conn: AsyncConnection, reads: Sequence[Read]) -> list[Rows]:
    """The rows of each statement, in the order given."""
    async with reading(db, conn, reads) as under_way:
        return await under_way.all()


def driver_statement(dialect: Dialect, read: Read) -> tuple[Any, ...]:
    """(asyncpg's SQL, its arguments in order) for a statement and the values of its bindparams."""
    statement, values = read
    sql, defaults, names = _compiled(statement, dialect)
    arguments = {**defaults, **values}
    return sql, *(arguments[name] for name in names)


@lru_cache(maxsize=64)
def _compiled(statement: Select[Any], dialect: Dialect) -> tuple[str, dict[str, object], tuple[str, ...]]:
    """asyncpg's SQL ($1, $2 …), the values SQLAlchemy bound itself (literals of the statement, handed to the
    driver as they are), and the order of the parameters."""
    compiled = statement.compile(dialect=dialect)
    return compiled.string, dict(compiled.params), tuple(compiled.positiontup or ())
