"""Each service's Alembic history upgrades and downgrades cleanly and matches its models."""

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from services.common.migrations import downgrade, upgrade, version_table
from services.common.search_sql import modelled

SERVICES = ["tasks_api", "reporting_api", "notify_api"]


def metadata_of(service):
    module = __import__(f"services.{service}.models", fromlist=["metadata"])
    return module.metadata


def inspect_database(url, service):
    async def run():
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:

            def read(sync_conn):
                context = MigrationContext.configure(
                    sync_conn, opts={"version_table": version_table(service), "include_object": modelled}
                )
                tables = set(inspect(sync_conn).get_table_names())
                return tables, compare_metadata(context, metadata_of(service))

            result = await conn.run_sync(read)
        await engine.dispose()
        return result

    return asyncio.run(run())


@pytest.fixture(params=SERVICES)
def service(request):
    return request.param


def test_upgrade_creates_every_table_of_the_models(databases, service):
    url = databases.create(f"mig_{service}")
    upgrade(service, url)
    tables, differences = inspect_database(url, service)
    assert set(metadata_of(service).tables) <= tables
    assert differences == [], "models and migrations differ: write a migration"


def test_downgrade_to_base_removes_everything_and_upgrade_works_again(databases, service):
    url = databases.create(f"mig_{service}")
    upgrade(service, url)
    downgrade(service, url)
    tables, _ = inspect_database(url, service)
    assert tables <= {version_table(service)}
    upgrade(service, url)
    tables, _ = inspect_database(url, service)
    assert set(metadata_of(service).tables) <= tables
