"""Database access: one async engine per service, explicit transactions, helpers for Core queries.

The services talk to the database through SQLAlchemy Core on an async engine (asyncpg on
PostgreSQL, aiosqlite on SQLite) and select plain rows rather than hydrating ORM objects:
hot list endpoints then cost one round trip and one encode, which is what the performance
budget in bench/ asks for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg
import orjson
from sqlalchemy import JSON, DateTime, MetaData, Table, event, text
from sqlalchemy.dialects.sqlite import DATETIME as SQLiteDateTime
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

from services.common.peer_guard import holding
from services.common.problems import ServiceUnavailable, Unprocessable


class CommitMark(Protocol):
    """Something a request's transactions write as they commit (services/common/idempotency.py)."""

    @property
    def database(self) -> Database: ...

    async def write(self, conn: AsyncConnection) -> None: ...


# Set around a request that carries an Idempotency-Key: each transaction it commits on that service's database
# also marks the key, in the same commit, so a retry after a crash knows whether the first attempt wrote anything.
COMMIT_MARK: ContextVar[CommitMark | None] = ContextVar("commit_mark", default=None)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the single writer; the busy timeout queues writers instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _UtcSQLiteDateTime(SQLiteDateTime):
    """An instant column on SQLite, which keeps no offset: stored as UTC, read back as UTC (as PostgreSQL does),
    so that an answer never carries an instant without its offset."""

    def bind_processor(self, dialect: Any) -> Callable[[Any], Any] | None:
        store = super().bind_processor(dialect)
        if not self.timezone or store is None:
            return store

        def process(value: Any) -> Any:
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return store(value)

        return process

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any] | None:
        parse = super().result_processor(dialect, coltype)
        if not self.timezone:
            return parse

        def process(value: Any) -> Any:
            moment = parse(value) if parse else value
            return moment.replace(tzinfo=UTC) if isinstance(moment, datetime) and moment.tzinfo is None else moment

        return process


# PostgreSQL's planner assumes spinning disks by default (a random read costs four sequential ones). On SSD with
# the working set cached, 1.1 is the usual setting; with the default, PostgreSQL scans a 100,000-row table rather
# than follow an index to one plan's thousand rows (bench/explain.py shows the plans).
POSTGRESQL_SETTINGS = {"random_page_cost": "1.1"}
# asyncpg waits 60 s for a connection by default: a database host that drops packets would hold every request.
CONNECT_TIMEOUT_SECONDS = 5


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An async engine tuned for the backend the URL names."""
    if is_sqlite(url):
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        dialect = engine.sync_engine.dialect
        dialect.colspecs = {**dialect.colspecs, DateTime: _UtcSQLiteDateTime}
        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={"server_settings": POSTGRESQL_SETTINGS, "timeout": CONNECT_TIMEOUT_SECONDS},
    )


class Database:
    """The service's engine, with the transaction and connection scopes the services use."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # Reads on PostgreSQL run in autocommit: under READ COMMITTED a transaction gives a read no consistency it
        # lacks without one, and skipping BEGIN and ROLLBACK halves the round trips of a list page. SQLite keeps
        # its transaction, whose snapshot spans the statements of a read.
        self._reader = engine if is_sqlite(str(engine.url)) else engine.execution_options(isolation_level="AUTOCOMMIT")
        self.driver_pool: asyncpg.Pool | None = None

    async def open_driver_pool(self) -> None:
        """On PostgreSQL, a pool of bare asyncpg connections beside the engine's, for the hot reads and the roll-up
        (services/common/hot_reads.py, driver_reads.py). It connects only when a request needs a connection, so a
        database that is not there yet does not stop the service from starting."""
        if is_sqlite(str(self.engine.url)):
            return
        engine_pool = self.engine.pool
        assert isinstance(engine_pool, QueuePool)  # make_engine's PostgreSQL engines pool their connections
        self.driver_pool = await asyncpg.create_pool(
            self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False),
            min_size=0,
            max_size=engine_pool.size(),
            server_settings=POSTGRESQL_SETTINGS,
            timeout=CONNECT_TIMEOUT_SECONDS,
            init=_decode_json,
            reset=_keep_session,
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        try:
            async with self.engine.begin() as conn:
                with holding("transaction"):
                    yield conn
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

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        if self.driver_pool is not None:
            await self.driver_pool.close()
        await self.engine.dispose()


async def _decode_json(connection: asyncpg.Connection) -> None:
    # asyncpg hands json columns over as text; decoded here they encode again exactly as the engine's rows do.
    await connection.set_type_codec(
        "json", schema="pg_catalog", encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads
    )


async def _keep_session(connection: asyncpg.Connection) -> None:
    """The hot reads only run single SELECTs, which leave no session state behind: asyncpg's default reset
    (RESET ALL, UNLISTEN, CLOSE ALL, one more round trip per request) has nothing to undo. An open transaction
    would still be rolled back by the pool before this runs."""


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
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    message = str(exc.orig or exc).lower()
    return sqlstate.startswith(_UNAVAILABLE_SQLSTATES) or any(s in message for s in _UNAVAILABLE_MESSAGES)


def contains(column: Any, text: str) -> Any:
    """`column` contains `text` literally (LIKE wildcards in the text match only themselves)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return column.like(pattern, escape="\\")


async def driver_connection(conn: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under a PostgreSQL connection, inside its transaction (for COPY, which SQLAlchemy
    does not speak)."""
    await conn.exec_driver_sql("SELECT 1")  # SQLAlchemy begins its transaction lazily, at the first statement
    driver = (await conn.get_raw_connection()).driver_connection
    assert isinstance(driver, asyncpg.Connection)  # the asyncpg dialect's connections wrap asyncpg's own
    return driver


async def copy_rows(
    conn: AsyncConnection, table: Table, rows: Iterable[Mapping[str, Any]], columns: Sequence[str]
) -> None:
    """COPY `rows` into `table` on PostgreSQL: the bulk path, ten to a hundred times faster than multi-row
    INSERTs, in the caller's transaction. A column a row lacks is NULL. The rows are encoded as COPY sends them,
    so a generator of rows is built while the server is already writing the first ones."""
    json_columns = {column.name for column in table.c if isinstance(column.type, JSON)}
    # asyncpg's COPY takes json columns as text, so JSON values are encoded here, as SQLAlchemy would.
    records = (
        tuple(orjson.dumps(row.get(name)).decode() if name in json_columns else row.get(name) for name in columns)
        for row in rows
    )
    driver = await driver_connection(conn)
    await driver.copy_records_to_table(table.name, records=records, columns=list(columns))


def empty_tables_statements(metadata: MetaData) -> list[str]:
    """Statements that empty every table of a service, children first (tests run them between cases)."""
    return [f'DELETE FROM "{table.name}"' for table in reversed(metadata.sorted_tables)]
