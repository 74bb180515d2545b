"""Databases at the migration head are copies of one migrated template (tests/databases.py): each is at the head,
with every table, and is a database of its own."""

import asyncio

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from services.common.migrations import current_revision, head_revision


async def _revision_and_tables(url: str) -> tuple[str | None, set[str]]:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as conn:
        revision = await current_revision(conn, "notify_api")
        tables = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    await engine.dispose()
    return revision, tables


async def _write(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE only_here (id INTEGER)"))
    await engine.dispose()


def test_a_copied_database_is_at_the_head_with_every_table_and_shares_nothing_with_the_next(databases):
    first = databases.migrated("copy_a", "notify_api")
    revision, tables = asyncio.run(_revision_and_tables(first))
    assert revision == head_revision("notify_api")
    assert "contacts" in tables
    asyncio.run(_write(first))
    second = databases.migrated("copy_b", "notify_api")
    assert asyncio.run(_revision_and_tables(second)) == (revision, tables)
