"""An item's own reporting cadence (报送频次): read, and set or dropped by the office from the version it saw."""

from __future__ import annotations

from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal
from services.common.contracts.tasks import Item, TasksClient
from services.common.db import Database
from services.common.etag import stale
from services.common.history import record_change
from services.reporting_api.db import change_log
from services.reporting_api.periods.calendar import Cadence
from services.reporting_api.periods.obligations import CadenceBook
from services.reporting_api.periods.rhythm_reads import item_cadences
from services.reporting_api.periods.schemas import ItemCadenceRow, ItemCadenceView
from services.reporting_api.periods.service import cadence_book, store_version


async def _item_cadence_row(conn: AsyncConnection, item_id: int) -> ItemCadenceRow | None:
    row = (await conn.execute(select(item_cadences).where(item_cadences.c.item_id == item_id))).mappings().first()
    return cast(ItemCadenceRow, dict(row)) if row else None


def _cadence_view(item: Item, book: CadenceBook, row: ItemCadenceRow | None) -> ItemCadenceView:
    return {
        "item_id": item.id,
        "plan_id": item.plan_id,
        "cadence": row["cadence"] if row else None,
        "effective": book.of(item),
        "source": book.source(item),
        "version": row["version"] if row else 0,
    }


async def item_cadence(db: Database, tasks: TasksClient, *, item_id: int) -> ItemCadenceView:
    """The item's own cadence (null: the plan's rules decide), the cadence in effect and where it comes from."""
    item = await tasks.item(item_id)  # 404 for an unknown item
    async with db.read() as conn:
        return _cadence_view(item, await cadence_book(conn, item.plan_id), await _item_cadence_row(conn, item_id))


async def set_item_cadence(
    db: Database, tasks: TasksClient, *, item_id: int, cadence: Cadence | None, version: int, actor: Principal
) -> ItemCadenceView:
    """Set (or with null, drop) the item's own cadence, if it is still at `version` (0: never set)."""
    item = await tasks.item(item_id)  # the peer first, then the transaction
    async with db.transaction() as conn:
        before = await _item_cadence_row(conn, item_id)
        current = before["version"] if before else 0
        if current != version:
            raise stale(current)
        after: ItemCadenceRow = {
            "item_id": item_id,
            "plan_id": item.plan_id,
            "cadence": cadence.value if cadence else None,
            "set_by": actor.subject,
            "set_at": clock.now(),
            "version": version + 1,
        }
        await store_version(conn, item_cadences, item_cadences.c.item_id == item_id, after, version=version)
        await record_change(
            conn,
            change_log,
            entity="item_cadence",
            entity_id=item_id,
            action="update",
            actor=actor.subject,
            before={"cadence": before["cadence"] if before else None},
            after={"cadence": after["cadence"]},
        )
        return _cadence_view(item, await cadence_book(conn, item.plan_id), after)
