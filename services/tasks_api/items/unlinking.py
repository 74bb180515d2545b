"""What becomes of an item's link (上级任务) when it is removed: unlinked (the links room, the plan import), or gone
with a deleted item, the one it serves or its own (an item's delete, a plan's).

A link's ETag is its version. A removed link's last version is kept (`link_ends`) while its item has no link, and
the item's next link continues from it: an ETag of the removed link is stale (412) against the new one instead of
overwriting it, and "0" still means "no link" only. The links a delete takes are recorded as deleted, as an unlink
is: a city's item loses the provincial item it served with a trace of who removed it. Here, in the items room,
because an item's delete removes links too and cannot import the links room (which reads items)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.history import record_change
from services.common.records import rows_of
from services.tasks_api.db import change_log
from services.tasks_api.items.repository import items
from services.tasks_api.tables import LinkRow, link_ends, link_records

links = link_records.table


async def link_removed(conn: AsyncConnection, link: LinkRow) -> None:
    """Keep the version of the item's link, which the caller has just deleted, for the item's next link."""
    await conn.execute(link_ends.insert().values(item_id=link["item_id"], version=link["version"]))


async def first_version(conn: AsyncConnection, item_id: int) -> int:
    """The version the item's new link starts at: 1, or the one after its last removed link's (forgotten here:
    from now on the new link carries the count)."""
    last = await conn.scalar(select(link_ends.c.version).where(link_ends.c.item_id == item_id))
    if last is None:
        return 1
    await conn.execute(link_ends.delete().where(link_ends.c.item_id == item_id))
    return int(last) + 1


def subtree(item_id: int) -> Select[tuple[int]]:
    """The ids of the item and of every item under it: what an item's delete takes (its children cascade)."""
    tree = select(items.c.id).where(items.c.id == item_id).cte("subtree", recursive=True)
    tree = tree.union_all(select(items.c.id).where(items.c.parent_id == tree.c.id))
    return select(tree.c.id)


async def drop_links_of(conn: AsyncConnection, going: Select[tuple[int]], *, actor: str) -> None:
    """Remove the links of the items `going` selects and the links to them, each recorded as deleted by `actor`, in
    the caller's transaction, before the items go (their cascade would take the links unrecorded). A lower item that
    stays keeps its link's version for its next link. The caller holds LINK_LOCK, taken before anything was read:
    no link is set to or from these items meanwhile (it would be cascaded away unrecorded)."""
    touching: ColumnElement[bool] = or_(links.c.item_id.in_(going), links.c.serves_item_id.in_(going))
    gone = await rows_of(conn, select(links).where(touching).order_by(links.c.id), LinkRow)
    if not gone:
        return
    staying = set(await conn.scalars(select(links.c.item_id).where(touching, links.c.item_id.not_in(going))))
    await conn.execute(links.delete().where(touching))
    for link in gone:
        await record_change(
            conn, change_log, entity="item_link", entity_id=link["id"], action="delete", actor=actor, before=link
        )
    ends = [{"item_id": link["item_id"], "version": link["version"]} for link in gone if link["item_id"] in staying]
    if ends:
        await conn.execute(link_ends.insert(), ends)
