"""Database access: one async engine per service, explicit transactions, helpers for Core queries.

The services talk to the database through SQLAlchemy Core on an async engine (asyncpg on
PostgreSQL, aiosqlite on SQLite) and select plain rows rather than hydrating ORM objects:
hot list endpoints then cost one round trip and one encode, which is what the performance
budget in bench/ asks for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import MetaData, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.common.audit_chain import seal_pending
from services.common.dialect import dialect_for, dialect_of
from services.common.driver_pool import DriverError
from services.common.driver_reads import NO_DRIVER_POOL, DriverPool, Read
from services.common.history import take_pending
from services.common.json import render
from services.common.peer_guard import holding
from services.common.problems import ServiceUnavailable, Unprocessable
from services.common.records import plain_records, plain_rows

RowT = TypeVar("RowT", bound=Mapping[str, Any])


class CommitMark(Protocol):
    """Something a request's transactions write as they commit (services/common/idempotency.py)."""

    @property
    def database(self) -> Database: ...

    async def write(self, conn: AsyncConnection) -> None: ...


# Set around a request that carries an Idempotency-Key: each transaction it commits on that service's database
# also marks the key, in the same commit, so a retry after a crash knows whether the first attempt wrote anything.
COMMIT_MARK: ContextVar[CommitMark | None] = ContextVar("commit_mark", default=None)


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An async engine tuned for the database the URL names (services/common/dialect.py)."""
    return dialect_for(url).engine(url, pool_size=pool_size)


class Database:
    """The service's engine, with the transaction and connection scopes the services use."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = dialect_of(engine)
        self._reader = self.dialect.reader(engine)
        self.driver_pool: DriverPool = NO_DRIVER_POOL

    async def open_driver_pool(self) -> None:
        """The connections list pages (fetch) and the roll-up's reads (services/common/driver_reads.py) run on."""
        self.driver_pool = await self.dialect.open_driver_pool(self.engine)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        try:
            async with self.engine.begin() as conn:
                try:
                    with holding("transaction"):
                        yield conn
                    await seal_pending(conn)  # last: see audit_chain
                finally:
                    # A rolled-back transaction's rows are gone: forget them. A connection the database cut is
                    # discarded with what it noted, and asking it would raise over the real failure.
                    if not (conn.closed or conn.invalidated):
                        take_pending(conn)
                if (mark := COMMIT_MARK.get()) is not None and mark.database is self:
                    await mark.write(conn)
        except (OperationalError, DBAPIError, OverflowError, OSError) as exc:
            _raise_as_problem(exc, "The database is unavailable; nothing was written.")
            raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads."""
        try:
            async with self._reader.connect() as conn:
                with holding("read connection"):
                    yield conn
        except (OperationalError, DBAPIError, OverflowError, OSError) as exc:
            _raise_as_problem(exc, "The database is unavailable.")
            raise

    @asynccontextmanager
    async def reads(self) -> AsyncIterator[AsyncConnection | None]:
        """What the driver pool's reads (driver_reads.reading) run on: a read connection on SQLite; none on
        PostgreSQL, where each read takes a connection of the driver pool (opening a SQLAlchemy one that nothing
        used cost a tenth of a compliance page's own CPU)."""
        if self.driver_pool is not NO_DRIVER_POOL:
            yield None
            return
        async with self.read() as conn:
            yield conn

    async def fetch(self, read: Read, row: type[RowT]) -> list[RowT]:
        """One statement's rows as plain dicts typed `row` (a TypedDict of its columns), as a list page reads them: on
        PostgreSQL on a bare connection of the driver pool (prepared once per connection, no session reset), on
        SQLite on a read connection."""
        if self.driver_pool is NO_DRIVER_POOL:
            statement, values = read
            async with self.read() as conn:
                return cast(list[RowT], plain_rows(await conn.execute(statement, dict(values))))
        try:
            return cast(list[RowT], plain_records(await self.driver_pool.rows(read)))
        except (DriverError, OverflowError, OSError) as exc:
            _raise_as_problem(exc, "The database is unavailable.")
            raise

    async def batches(self, reads: Sequence[Read], size: int) -> AsyncIterator[tuple[int, list[dict[str, object]]]]:
        """Each statement's rows in turn, at most `size` at a time as plain dicts, with the statement's index: read
        through a cursor (server-side on PostgreSQL) in one transaction, so a read of hundreds of thousands of rows
        (a province's plan structure) never holds them all at once. Each statement sees its own snapshot, as a read
        of its own would."""
        try:
            async with self.engine.connect() as conn:
                for index, (statement, values) in enumerate(reads):
                    result = await conn.stream(statement, dict(values))
                    keys = list(result.keys())
                    async for rows in result.partitions(size):
                        yield index, [dict(zip(keys, row)) for row in rows]  # noqa: B905 (plain_rows says why)
        except (OperationalError, DBAPIError, OverflowError, OSError) as exc:
            _raise_as_problem(exc, "The database is unavailable.")
            raise

    async def json_batches(self, reads: Sequence[Read], size: int) -> AsyncIterator[tuple[int, bytes]]:
        """Each statement's rows in turn as JSON objects, at most `size` at a time, comma-separated, with the
        statement's index: rendered by PostgreSQL on the driver pool (a plan's documents, tens of thousands of rows
        whose values this process would only encode again), by `render` from `batches` on SQLite."""
        if self.driver_pool is NO_DRIVER_POOL:
            async for index, rows in self.batches(reads, size):
                yield index, render(rows)[1:-1]  # the rows without their list's brackets
            return
        try:
            for index, read in enumerate(reads):
                async for rendered in self.driver_pool.json_rows(read, size):
                    yield index, rendered
        except (DriverError, OverflowError, OSError) as exc:
            _raise_as_problem(exc, "The database is unavailable.")
            raise

    async def json_column_blocks(self, read: Read, size: int) -> bytes:
        """`[{"<column>": [<values>], ...}, ...]` of one statement's rows in their order, `size` rows a block: a list
        per column, no name repeated per row, and blocks a reader can take one at a time (a plan's duties for the
        services). Rendered by PostgreSQL on the driver pool, by `render` on SQLite."""
        if self.driver_pool is NO_DRIVER_POOL:
            blocks = [
                {name: [row[name] for row in rows] for name in rows[0]} async for _, rows in self.batches([read], size)
            ]
            return render(blocks)
        try:
            return await self.driver_pool.json_column_blocks(read, size)
        except (DriverError, OverflowError, OSError) as exc:
            _raise_as_problem(exc, "The database is unavailable.")
            raise

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.driver_pool.close()
        await self.engine.dispose()


def _raise_as_problem(exc: Exception, unavailable: str) -> None:
    """Raise the problem a database error stands for, when it is one the caller can act on."""
    if _is_beyond_column(exc):
        # A number beyond the column type (PostgreSQL integer, SQLite's 64 bits) or a text wider than its column
        # (PostgreSQL varchar) is bad input, not a server fault.
        raise Unprocessable(
            "A value in the request is beyond what the service stores: a number too large or a text too long."
        ) from exc
    if _is_unavailable(exc):
        raise ServiceUnavailable(unavailable, headers={"Retry-After": "5"}) from exc


def _is_beyond_column(exc: Exception) -> bool:
    message = str(getattr(exc, "orig", None) or exc).lower()
    return isinstance(exc, OverflowError) or any(
        s in message for s in ("value out of int", "out of range for type", "value too long for type")
    )


# PostgreSQL states that say the database cannot serve now, not that the request is wrong: connection exceptions
# (08…), shutting down or starting up (57P…), no such database (3D000), login refused (28…), too many connections.
_UNAVAILABLE_SQLSTATES = ("08", "57P", "3D000", "28", "53300")
_UNAVAILABLE_MESSAGES = (
    "connection refused",
    "could not connect",
    "connection was closed",
    "unable to open database",
    "the database system is",
    "connection is closed",
    "database is locked",
    "disk i/o error",
)


def _is_unavailable(exc: Exception) -> bool:
    if isinstance(exc, OSError):  # refused, unreachable or timed out while connecting: asyncpg raises these as they are
        return True
    if isinstance(exc, DriverError):
        message, sqlstate = str(exc.args[0]).lower(), str(exc.args[1] or "")
    elif isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
        message = str(exc.orig or exc).lower()
    else:
        return False
    return sqlstate.startswith(_UNAVAILABLE_SQLSTATES) or any(s in message for s in _UNAVAILABLE_MESSAGES)


def like_pattern(text: str) -> str:
    """A LIKE pattern (escape character \\) that finds `text` literally: its wildcards match only themselves."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def contains(column: Any, text: str) -> Any:
    """`column` contains `text` literally (LIKE wildcards in the text match only themselves)."""
    return column.like(like_pattern(text), escape="\\")


def empty_tables_statements(metadata: MetaData) -> list[str]:
    """Statements that empty every table of a service, children first (tests run them between cases)."""
    return [f'DELETE FROM "{table.name}"' for table in reversed(metadata.sorted_tables)]
