"""The one place that knows SQLite from PostgreSQL (architecture §6): a `Dialect` per database, chosen once when
the engine is made (services/common/db.py), offering what the services do differently on each; no other module asks
which database it is (tests/architecture/test_dialect.py). PostgreSQL, in production, bulk-writes with COPY, reads
beside the engine on bare asyncpg connections and serialises writers with advisory locks; SQLite, for development
and the tests, has one writer at a time and stores instants without their offset."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg
import orjson
import sqlalchemy as sa
from sqlalchemy import JSON, ColumnElement, DateTime, Insert, Integer, Table, event, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

from services.common.driver_pool import SESSION, open_pool
from services.common.driver_reads import NO_DRIVER_POOL, DriverPool
from services.common.file_lock import file_lock
from services.common.search_sql import LIKE_WORDS, TSVECTOR_WORDS, WordsSql

Row = Mapping[str, object]  # a row to write, column name to value


class Dialect(Protocol):
    """What the services do differently on SQLite and PostgreSQL."""

    # COPY is the bulk write path: planners COPY the keys not written yet (under writer_lock); else insert_or_skip.
    copies: bool
    words: WordsSql  # how a search table's words are found (services/common/search_sql.py)

    def engine(self, url: str, *, pool_size: int) -> AsyncEngine: ...

    def __hash__(self) -> int: ...  # one object per database kind: statements built for one are cached by it

    def reader(self, engine: AsyncEngine) -> AsyncEngine: ...  # the engine reads run on

    async def open_driver_pool(self, engine: AsyncEngine) -> DriverPool: ...

    def insert_or_skip(self, table: Table, rows: Row | Sequence[Row], *, conflict_key: str) -> Insert:
        """INSERT the rows, skipping any whose unique `conflict_key` is taken."""

    def any_of(self, column: ColumnElement[int], name: str) -> ColumnElement[bool]:
        """`column` is one of the ints bound to `name` (a list of any length): on PostgreSQL one array parameter,
        so the statement is compiled and prepared once whatever the count (IN took one parameter per value, made
        anew for every call: a page's 5,000 items cost ~30 ms of compiling); on SQLite an expanding IN."""

    async def bulk_insert(self, conn: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert rows (every column but id given), in the caller's transaction; their new ids, in order."""

    async def writer_lock(self, conn: AsyncConnection, key: int) -> None: ...  # the only writer under key from now

    async def shared_lock(self, conn: AsyncConnection, key: int) -> None:
        """Hold `key` beside other holders of it till the transaction ends: its writer (writer_lock) waits for them
        all, and they for it."""

    async def isolate(self, conn: AsyncConnection) -> None:
        """Make the transaction's reads and writes one unit from now: a row it read that another writer changed
        meanwhile fails it (PostgreSQL, SQLSTATE 40001), or nobody else writes until it ends (SQLite's write lock)."""

    def one_at_a_time(self, url: URL, name: str, *, busy: str) -> AbstractContextManager[None]:
        """Hold the database's `name` lock for the block where it needs one; Conflict(busy) while another holds it."""

    def alembic_options(self) -> dict[str, bool]: ...

    def never_reuse_ids(self, op: Any) -> None:
        """Make every table keyed by one integer id never hand a deleted row's id to a new one (a migration step)."""


class _SQLiteInstant(sqlite.DATETIME):
    """An instant column on SQLite, which keeps no offset: stored and read back as UTC, as on PostgreSQL."""

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


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the single writer; the busy timeout queues writers instead of failing.
    for pragma in ("journal_mode=WAL", "busy_timeout=10000", "foreign_keys=ON", "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


class SQLite:
    copies, words = False, LIKE_WORDS

    def engine(self, url: str, *, pool_size: int) -> AsyncEngine:
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        dialect = engine.sync_engine.dialect
        dialect.colspecs = {**dialect.colspecs, DateTime: _SQLiteInstant}
        return engine

    def reader(self, engine: AsyncEngine) -> AsyncEngine:
        return engine  # in its transaction, whose snapshot spans the statements of a read

    async def open_driver_pool(self, engine: AsyncEngine) -> DriverPool:
        return NO_DRIVER_POOL

    def insert_or_skip(self, table: Table, rows: Row | Sequence[Row], *, conflict_key: str) -> Insert:
        return sqlite.insert(table).values(rows).on_conflict_do_nothing(index_elements=[conflict_key])

    def any_of(self, column: ColumnElement[int], name: str) -> ColumnElement[bool]:
        return column.in_(sa.bindparam(name, expanding=True))

    async def bulk_insert(self, conn: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        result = await conn.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows)
        return list(result.scalars())

    async def writer_lock(self, conn: AsyncConnection, key: int) -> None:
        # The database's one write lock, whatever the key, taken now (not at the first write) by a write that changes
        # nothing, on the table of the last ids every duban database has (each table is AUTOINCREMENT).
        await conn.execute(text("UPDATE sqlite_sequence SET seq = seq WHERE 0"))

    async def shared_lock(self, conn: AsyncConnection, key: int) -> None:
        await self.writer_lock(conn, key)  # SQLite's one write lock is all it has: holders take turns

    async def isolate(self, conn: AsyncConnection) -> None:
        await self.writer_lock(conn, 0)  # nobody else writes until the transaction ends

    def one_at_a_time(self, url: URL, name: str, *, busy: str) -> AbstractContextManager[None]:
        # SQLite has one writer at a time: a second process would wait for the first one's whole work.
        return file_lock(f"{url.database}.{name}.lock", busy=busy) if url.database else nullcontext()

    def alembic_options(self) -> dict[str, bool]:
        return {"render_as_batch": True}  # SQLite alters a table by rebuilding it

    def never_reuse_ids(self, op: Any) -> None:
        # AUTOINCREMENT, as sequences: an id names a record in events and other services' rows. From the database's
        # tables, not the models, so that the step means the same whenever it runs.
        inspector = sa_inspect(bind := op.get_bind())
        for name in inspector.get_table_names():
            key = inspector.get_pk_constraint(name)["constrained_columns"]
            types = {column["name"]: column["type"] for column in inspector.get_columns(name)}
            created = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
            if len(key) != 1 or not isinstance(types[key[0]], Integer) or "AUTOINCREMENT" in (created.scalar() or ""):
                continue
            with op.batch_alter_table(name, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
                pass


def driver_dsn(url: URL | str) -> str:
    """A PostgreSQL database URL of ours (postgresql+asyncpg://…) as asyncpg's own connect takes it, password kept."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Postgres:
    copies, words = True, TSVECTOR_WORDS

    def engine(self, url: str, *, pool_size: int) -> AsyncEngine:
        engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=False,
            pool_recycle=1800,
            connect_args=SESSION,
        )
        event.listen(engine.sync_engine, "connect", _json_takes_bytes)
        return engine

    def reader(self, engine: AsyncEngine) -> AsyncEngine:
        # Autocommit: under READ COMMITTED a transaction gives a read no consistency it lacks without one, and
        # skipping BEGIN and ROLLBACK halves the round trips of a list page.
        return engine.execution_options(isolation_level="AUTOCOMMIT")

    async def open_driver_pool(self, engine: AsyncEngine) -> DriverPool:
        engine_pool = engine.pool
        assert isinstance(engine_pool, QueuePool)  # Postgres.engine pools its connections
        # The driver pool no larger than the engine's.
        return await open_pool(driver_dsn(engine.url), max_size=engine_pool.size(), dialect=engine.dialect)

    def insert_or_skip(self, table: Table, rows: Row | Sequence[Row], *, conflict_key: str) -> Insert:
        return postgresql.insert(table).values(rows).on_conflict_do_nothing(index_elements=[conflict_key])

    def any_of(self, column: ColumnElement[int], name: str) -> ColumnElement[bool]:
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(Integer)))

    async def bulk_insert(self, conn: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        # COPY, far cheaper per row than INSERT, returns no ids: they are taken from the table's sequence first.
        reserve = text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, :n)")
        ids = list((await conn.execute(reserve, {"n": len(rows)})).scalars())
        rows_with_ids = ({**row, "id": new_id} for row, new_id in zip(rows, ids, strict=True))
        await copy_rows(conn, table, rows_with_ids, [column.name for column in table.c])
        return ids

    async def writer_lock(self, conn: AsyncConnection, key: int) -> None:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    async def shared_lock(self, conn: AsyncConnection, key: int) -> None:
        await conn.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": key})

    async def isolate(self, conn: AsyncConnection) -> None:
        await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))

    def one_at_a_time(self, url: URL, name: str, *, busy: str) -> AbstractContextManager[None]:
        return nullcontext()  # PostgreSQL's writers share the work through their own row and advisory locks

    def alembic_options(self) -> dict[str, bool]:
        return {"render_as_batch": False}

    def never_reuse_ids(self, op: Any) -> None:
        return None  # sequences never hand out an id twice


SQLITE, POSTGRES = SQLite(), Postgres()


def dialect_for(url: str) -> Dialect:
    """The dialect of the database a SQLAlchemy URL names."""
    return SQLITE if url.startswith("sqlite") else POSTGRES


def dialect_of(bind: AsyncConnection | AsyncEngine | sa.Connection) -> Dialect:
    """The dialect of the database an engine or a connection is bound to."""
    return SQLITE if bind.dialect.name == "sqlite" else POSTGRES


def _json_takes_bytes(dbapi_connection: Any, _: object) -> None:
    """json values are sent as the UTF-8 they are given, or as text encoded (SQLAlchemy's own codec, set before this:
    str.encode); read as SQLAlchemy reads them (json.loads of the text). copy_rows hands over orjson's bytes: a
    dispatch's 243,134 payloads were decoded to text for the codec to encode them back, 3.4 µs a row."""
    dbapi_connection.run_async(
        lambda driver: driver.set_type_codec(
            "json", schema="pg_catalog", encoder=_json_bytes, decoder=json.loads, format="binary"
        )
    )


def _json_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


async def hold_row(conn: AsyncConnection, key: int, table: Table, row_id: int) -> None:
    """Nothing refers to the row anew till the transaction ends, so what the caller counts or checks of it stays
    true: SQLite's one write lock (under `key`), taken now, and on PostgreSQL the row's lock, for which a new row's
    key check waits (then finds the row gone)."""
    await dialect_of(conn).writer_lock(conn, key)
    await conn.execute(sa.select(table.c.id).where(table.c.id == row_id).with_for_update())


async def driver_connection(conn: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under a PostgreSQL connection, in its transaction (for COPY: SQLAlchemy has none)."""
    await conn.exec_driver_sql("SELECT 1")  # SQLAlchemy begins its transaction lazily, at the first statement
    driver = (await conn.get_raw_connection()).driver_connection
    assert isinstance(driver, asyncpg.Connection)  # the asyncpg dialect's connections wrap asyncpg's own
    return driver


async def copy_rows(conn: AsyncConnection, table: Table, rows: Iterable[Row], columns: Sequence[str]) -> None:
    """COPY `rows` into `table` on PostgreSQL (ten to a hundred times faster than INSERTs), in the caller's
    transaction; a column a row lacks is NULL. Rows are encoded as COPY sends them, while the server writes."""
    # JSON values are encoded here, as SQLAlchemy would (one map() a row), and sent as they are (_json_takes_bytes).
    json_at = [n for n, name in enumerate(columns) if isinstance(table.c[name].type, JSON)]

    def record(row: Row) -> tuple[Any, ...]:
        values = list(map(row.get, columns))
        for n in json_at:
            values[n] = orjson.dumps(values[n])
        return tuple(values)

    driver = await driver_connection(conn)
    await driver.copy_records_to_table(table.name, records=map(record, rows), columns=list(columns))
