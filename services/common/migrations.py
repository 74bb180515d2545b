"""Alembic, one history per service: the shared env.py body and the programmatic commands."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from services.common import loops
from services.common.dialect import dialect_for, dialect_of
from services.common.settings import REPO_ROOT


def version_table(service: str) -> str:
    return f"alembic_version_{service}"


def alembic_config(service: str, database_url: str | None = None) -> Config:
    """The Alembic config of one service; `database_url` overrides the service settings."""
    config = Config(str(REPO_ROOT / "alembic.ini"), ini_section=service)
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def upgrade(service: str, database_url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, database_url), revision)


def downgrade(service: str, database_url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(service, database_url), revision)


def head_revision(service: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(service)).get_current_head()


async def current_revision(conn: AsyncConnection, service: str) -> str | None:
    def read(sync_conn: Any) -> str | None:
        migration = MigrationContext.configure(sync_conn, opts={"version_table": version_table(service)})
        return migration.get_current_revision()

    return await conn.run_sync(read)


def run_env(service: str, metadata: MetaData, default_url: str) -> None:
    """The body of migrations/<service>/env.py: migrate the service's own database online."""
    config = context.config
    url = config.attributes.get("database_url") or default_url
    options: dict[str, Any] = {
        "target_metadata": metadata,
        "version_table": version_table(service),
        "compare_type": True,
        **dialect_for(url).alembic_options(),
    }

    def migrate(sync_conn: Any) -> None:
        context.configure(connection=sync_conn, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:
            await conn.run_sync(migrate)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
    else:
        loops.run(run())


def never_reuse_ids_on_sqlite(op: Any) -> None:
    """On SQLite, rebuild every table keyed by one integer id with AUTOINCREMENT, so a deleted row's id is never
    handed to the next one (PostgreSQL's sequences never reuse ids): services/common/dialect.py."""
    dialect_of(op.get_bind()).never_reuse_ids(op)


def create_jobs_table(op: Any) -> None:
    """The worker's queue (services/common/jobs.py) as it was first written; the same in every service."""
    op.create_table(
        "jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_jobs_due", "jobs", ["status", "run_after", "id"], unique=False)


def drop_jobs_table(op: Any) -> None:
    op.drop_index("ix_jobs_due", table_name="jobs")
    op.drop_table("jobs")
