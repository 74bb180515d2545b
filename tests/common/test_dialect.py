"""The database-dialect seam (services/common/dialect.py) keeps one contract on SQLite and on PostgreSQL: the same
assertions run on whichever database the suite runs on (DUBAN_TEST_DATABASE=postgresql for PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from services.common.db import Database, make_engine
from services.common.dialect import dialect_for, dialect_of
from services.common.driver_reads import driver_statement, read_all
from services.common.problems import Unprocessable
from tests.conftest import BACKEND

metadata = sa.MetaData()
things = sa.Table(
    "things",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(40), nullable=False, unique=True),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.Column("data", sa.JSON),
    sqlite_autoincrement=True,  # as every table of duban's (tests/test_identifiers.py)
)
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def url(databases):
    url = databases.create("dialect")

    async def create():
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        await engine.dispose()

    asyncio.run(create())
    return url


def run(url, work):
    """Run `work(database)` on an empty table, a fresh engine and an open driver pool, as a service would."""

    async def go():
        database = Database(make_engine(url))
        await database.open_driver_pool()
        try:
            async with database.transaction() as conn:
                await conn.execute(things.delete())
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(go())


async def names(database):
    async with database.read() as conn:
        return list((await conn.execute(select(things.c.name).order_by(things.c.id))).scalars())


def test_the_dialect_chosen_for_a_url_is_the_one_its_engine_and_connections_have(url):
    async def work(database):
        async with database.read() as conn:
            return dialect_of(conn)

    assert run(url, work) is dialect_for(url)


def test_insert_or_skip_inserts_only_the_rows_whose_key_is_free(url):
    async def work(database):
        async with database.transaction() as conn:
            await conn.execute(things.insert().values(name="taken"))
            insert = dialect_of(conn).insert_or_skip(things, [{"name": "taken"}, {"name": "free"}], conflict_key="name")
            inserted = list((await conn.execute(insert.returning(things.c.name))).scalars())
        return inserted, await names(database)

    assert run(url, work) == (["free"], ["taken", "free"])


def test_bulk_insert_answers_the_new_ids_in_the_order_of_the_rows(url):
    async def work(database):
        async with database.transaction() as conn:
            ids = await dialect_of(conn).bulk_insert(conn, things, [{"name": f"row {n}"} for n in range(5)])
        async with database.read() as conn:
            return ids, {row.id: row.name for row in await conn.execute(select(things.c.id, things.c.name))}

    ids, stored = run(url, work)
    assert [stored[new_id] for new_id in ids] == [f"row {n}" for n in range(5)]


def test_a_json_value_written_in_bulk_or_through_the_engine_reads_back_as_written(url):
    value = {"subject": "【督办】逾期3个工作日", "units": [{"unit_id": 1, "role": "lead"}], "ratio": 0.5, "none": None}

    async def work(database):
        async with database.transaction() as conn:
            await dialect_of(conn).bulk_insert(conn, things, [{"name": "in bulk", "data": value}])
            await conn.execute(things.insert().values(name="one", data=value))
        async with database.read() as conn:
            return {name: data for name, data in await conn.execute(select(things.c.name, things.c.data))}

    assert run(url, work) == {"in bulk": value, "one": value}


def test_an_instant_comes_back_aware_in_utc(url):
    written = datetime(2030, 1, 7, 12, 0, tzinfo=BEIJING)

    async def work(database):
        async with database.transaction() as conn:
            await conn.execute(things.insert().values(name="moment", at=written))
        async with database.read() as conn:
            return await conn.scalar(select(things.c.at))

    read = run(url, work)
    assert (read, read.utcoffset()) == (written, timedelta(0))
    assert read.tzinfo == UTC


def test_a_writer_under_the_writer_lock_waits_for_the_one_holding_it(url):
    finished = []

    async def write(database, name, hold):
        async with database.transaction() as conn:
            await dialect_of(conn).writer_lock(conn, 7)
            await conn.execute(things.insert().values(name=name))
            await asyncio.sleep(hold)
        finished.append(name)

    async def work(database):
        first = asyncio.create_task(write(database, "first", hold=0.5))
        await asyncio.sleep(0.2)  # the first holds the lock, and has written
        await write(database, "second", hold=0)
        await first

    run(url, work)
    assert finished == ["first", "second"]


def test_the_writer_lock_is_held_from_where_it_is_taken_before_the_transaction_writes(url):
    finished = []

    async def check_then_write(database, name, hold):
        async with database.transaction() as conn:
            await dialect_of(conn).writer_lock(conn, 7)
            taken = await conn.scalar(select(func.count()).select_from(things))
            await asyncio.sleep(hold)  # no write yet: on SQLite the lock is the lock taken, not the first write's
            await conn.execute(things.insert().values(name=f"{name} after {taken}"))
        finished.append(name)

    async def work(database):
        first = asyncio.create_task(check_then_write(database, "first", hold=0.5))
        await asyncio.sleep(0.2)  # the first holds the lock, and has read but not written
        await check_then_write(database, "second", hold=0)
        await first
        return await names(database)

    assert run(url, work) == ["first after 0", "second after 1"]
    assert finished == ["first", "second"]


def test_an_isolated_transaction_reads_the_same_rows_while_another_writes(url):
    async def insert(database, name):
        async with database.transaction() as conn:
            await conn.execute(things.insert().values(name=name))

    async def work(database):
        await insert(database, "there")
        count = select(func.count()).select_from(things)
        async with database.transaction() as conn:
            await dialect_of(conn).isolate(conn)
            before = await conn.scalar(count)
            other = asyncio.create_task(insert(database, "meanwhile"))
            await asyncio.sleep(0.3)  # PostgreSQL commits it now; SQLite makes it wait for this transaction
            after = await conn.scalar(count)
        await other
        return before, after, await names(database)

    assert run(url, work) == (1, 1, ["there", "meanwhile"])


def test_the_driver_pool_reads_the_rows_the_engine_reads(url):
    statement = select(things.c.id, things.c.name).where(things.c.name != sa.bindparam("skip")).order_by(things.c.id)

    async def work(database):
        async with database.transaction() as conn:
            await conn.execute(things.insert(), [{"name": "a"}, {"name": "b"}, {"name": "c"}])
        async with database.read() as conn:
            engine_rows = (await conn.execute(statement, {"skip": "b"})).mappings().all()
            pool_rows = await read_all(database, conn, [(statement, {"skip": "b"}), (statement, {"skip": "a"})])
        return [dict(row) for row in engine_rows], [[dict(row) for row in rows] for rows in pool_rows]

    engine_rows, (without_b, without_a) = run(url, work)
    assert without_b == engine_rows
    assert [row["name"] for row in without_a] == ["b", "c"]


def test_a_page_read_gives_plain_rows_and_a_value_beyond_its_column_is_unprocessable(url):
    statement = select(things.c.id, things.c.name).where(things.c.id > sa.bindparam("id")).order_by(things.c.id)

    async def work(database):
        async with database.transaction() as conn:
            await conn.execute(things.insert(), [{"name": "a"}, {"name": "b"}])
        rows = await database.fetch((statement, {"id": 0}), dict)
        with pytest.raises(Unprocessable):
            await database.fetch((statement, {"id": 2**70}), dict)  # beyond the integer column, on either database
        return rows

    rows = run(url, work)
    assert [type(row) for row in rows] == [dict, dict]
    assert [(list(row), row["name"]) for row in rows] == [(["id", "name"], "a"), (["id", "name"], "b")]


def test_any_of_reads_the_rows_whose_id_is_one_of_a_list_of_any_length(url):
    async def work(database):
        async with database.transaction() as conn:
            await conn.execute(things.insert(), [{"name": name} for name in "abcd"])
            a, b, c, d = (await conn.execute(select(things.c.id).order_by(things.c.id))).scalars()
        statement = select(things.c.name).where(database.dialect.any_of(things.c.id, "ids")).order_by(things.c.id)
        found = [await database.fetch((statement, {"ids": ids}), dict) for ids in ([], [b], [d, a, c, d + 99])]
        return [[row["name"] for row in rows] for rows in found]

    assert run(url, work) == [[], ["b"], ["a", "c", "d"]]


def test_any_of_on_postgresql_is_one_parameter_whatever_the_count_so_the_statement_is_prepared_once():
    statement = select(things.c.id).where(dialect_for("postgresql://").any_of(things.c.id, "ids"))
    sql, *arguments = driver_statement(PGDialect_asyncpg(), (statement, {"ids": list(range(5000))}))
    assert sql.count("$") == 1 and len(arguments) == 1


@pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL's planner settings")
def test_the_engine_and_the_driver_pool_plan_without_parallel_workers(url):
    show = sa.text("SHOW max_parallel_workers_per_gather")

    async def work(database):
        async with database.read() as conn:
            engine_setting = (await conn.execute(show)).scalar_one()
            (pool_rows,) = await read_all(database, conn, [(show, {})])
        return engine_setting, pool_rows[0]["max_parallel_workers_per_gather"]

    assert run(url, work) == ("0", "0")
