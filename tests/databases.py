"""Throw-away databases for the tests: SQLite files by default, PostgreSQL when DUBAN_TEST_DATABASE=postgresql."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import asyncpg
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from services.common.db import empty_tables_statements
from services.common.migrations import upgrade

BACKEND = os.environ.get("DUBAN_TEST_DATABASE", "sqlite")
PG_DSN = os.environ.get("DUBAN_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


class TestDatabases:
    """Creates databases on demand and drops them all at the end of the session."""

    __test__ = False

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self.created: list[str] = []
        self._templates: dict[str, str] = {}

    def create(self, label: str, template: str | None = None) -> str:
        """A new database, empty or a copy of the database at the URL `template`; returns its SQLAlchemy async URL."""
        name = f"duban_test_{label}_{uuid.uuid4().hex[:8]}"
        if BACKEND == "sqlite":
            url = f"sqlite+aiosqlite:///{self.tmp_dir / (name + '.db')}"
            if template is not None:
                with (
                    closing(sqlite3.connect(_sqlite_path(template))) as source,
                    closing(sqlite3.connect(_sqlite_path(url))) as copy,
                ):
                    source.backup(copy)
            return url
        copied = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template is not None else ""
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"{copied}'))
        self.created.append(name)
        return f"postgresql+asyncpg://{PG_DSN.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"

    def migrated(self, label: str, service: str) -> str:
        """A new database at `service`'s migration head; its URL. The migrations run once per session (worker), into
        a template each such database is copied from (PostgreSQL: CREATE DATABASE ... TEMPLATE; SQLite: its backup
        API): the same tables, rows and revision as a migrated database, at a fraction of the cost."""
        template = self._templates.get(service)
        if template is None:
            template = self.create(f"template_{service.split('_')[0]}")
            upgrade(service, template)
            self._templates[service] = template
        return self.create(label, template)

    def drop_all(self) -> None:
        for name in self.created:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _sqlite_path(url: str) -> str:
    return url.split(":///", 1)[1]


async def _pg_admin(statement: str) -> None:
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _run(url: str, statements: list[str]) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    await engine.dispose()


def empty_tables(url: str, metadata: MetaData) -> None:
    asyncio.run(_run(url, empty_tables_statements(metadata)))
