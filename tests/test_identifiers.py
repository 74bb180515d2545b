"""Ids are never reused: on SQLite every table keyed by one integer id has AUTOINCREMENT (PostgreSQL's sequences
never hand an id out twice)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.migrations import upgrade
from tests.databases import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="PostgreSQL sequences never reuse ids")


def _tables_reusing_ids(url: str) -> list[str]:
    async def read() -> list[str]:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))).all()
        await engine.dispose()
        return [
            name
            for name, sql in rows
            if "INTEGER NOT NULL" in sql and "PRIMARY KEY (id)" in sql and "AUTOINCREMENT" not in sql.upper()
        ]

    return asyncio.run(read())


@pytest.mark.parametrize("service", ["tasks_api", "reporting_api", "notify_api"])
def test_no_table_of_a_migrated_database_hands_out_a_deleted_rows_id(databases, service):
    url = databases.create(f"ids_{service}")
    upgrade(service, url)
    assert _tables_reusing_ids(url) == []
