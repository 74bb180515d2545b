"""The dispatches table's SQL: a run's row, opened, counted and closed; found by its unique as_of."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import Records
from services.common.tables import table_of
from services.notify_api.db import change_log
from services.notify_api.deliveries.clock import utc
from services.notify_api.dispatches.models import Dispatch

dispatches = table_of(Dispatch)
dispatch_records: Records[DispatchRow] = Records(dispatches, "dispatch", change_log)


class DispatchRow(TypedDict):
    """A dispatch run as stored, its instants aware UTC on both databases."""

    id: int
    as_of: datetime
    created: int
    sent: int
    failed: int
    started_at: datetime
    finished_at: datetime | None
    started_by: str


def dispatch_row(row: object) -> DispatchRow:
    values = dict(row)  # type: ignore[call-overload]  # a SQLAlchemy RowMapping
    finished = values["finished_at"]
    return DispatchRow(
        id=values["id"],
        as_of=utc(values["as_of"]),
        created=values["created"],
        sent=values["sent"],
        failed=values["failed"],
        started_at=utc(values["started_at"]),
        finished_at=utc(finished) if finished is not None else None,
        started_by=values["started_by"],
    )


async def open_run(conn: AsyncConnection, *, as_of: datetime, started_at: datetime, actor: str) -> int:
    """The run's row (IntegrityError when a run with the same as_of exists); returns its id."""
    statement = (
        dispatches.insert().values(as_of=as_of, started_at=started_at, started_by=actor).returning(dispatches.c.id)
    )
    dispatch_id: int = (await conn.execute(statement)).scalar_one()
    return dispatch_id


async def count_created(conn: AsyncConnection, dispatch_id: int, created: int) -> None:
    await conn.execute(dispatches.update().where(dispatches.c.id == dispatch_id).values(created=created))


async def close_run(
    conn: AsyncConnection, dispatch_id: int, *, sent: int, failed: int, finished_at: datetime
) -> DispatchRow:
    statement = (
        dispatches.update()
        .where(dispatches.c.id == dispatch_id)
        .values(sent=sent, failed=failed, finished_at=finished_at)
        .returning(*dispatches.c)
    )
    return dispatch_row((await conn.execute(statement)).mappings().one())


async def run_at(conn: AsyncConnection, as_of: datetime) -> DispatchRow | None:
    row = (await conn.execute(select(dispatches).where(dispatches.c.as_of == as_of))).mappings().first()
    return dispatch_row(row) if row else None


async def get_run(conn: AsyncConnection, dispatch_id: int) -> DispatchRow:
    """The run; 404 when there is none."""
    return dispatch_row(await dispatch_records.get(conn, dispatch_id))
