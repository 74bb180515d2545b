"""Plans linked across levels (一方案四清单): an item names the item of a higher-level plan it serves, or an external
task; the chain upward is followed from link to link. The link's ETag is its version, "0" while there is none; an
item's versions never repeat across unlink and link again (items/unlinking.py).

A link may only point into another plan, and never back down its own chain: every change of a link runs under one
writer lock, so two links set at once cannot close a cycle between them (each checks the chain the other left)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal
from services.common.db import Database
from services.common.dialect import dialect_of
from services.common.etag import stale
from services.common.problems import NotFound, Unprocessable
from services.tasks_api.items.repository import item_records
from services.tasks_api.items.unlinking import first_version, link_removed
from services.tasks_api.links.repository import PlacedItem, link_of, placed, serving
from services.tasks_api.links.schemas import ExternalTask, ItemServes, LinkPublic, LinkSet, PlacedItemPublic
from services.tasks_api.tables import LINK_LOCK, LinkRow, link_records

MAX_DEPTH = 8  # province → city → county → township is four; a longer chain is a mistake, not a plan


async def serves_of(db: Database, *, item_id: int) -> ItemServes:
    """The item's link and the chain upward from it (404 for an unknown item)."""
    async with db.read() as conn:
        await item_records.get(conn, item_id)
        return await _serves(conn, item_id)


async def _serves(conn: AsyncConnection, item_id: int) -> ItemServes:
    upward = _upward(conn, item_id, MAX_DEPTH + 1)
    _, link = await anext(upward)  # the item itself, then up to MAX_DEPTH above it
    last, chain = link, list[PlacedItem]()
    async for step, step_link in upward:
        if (found := await placed(conn, step)) is None:
            break
        chain.append(found)
        last = step_link
    external = last if last is not None and last["reference"] is not None else None
    return ItemServes(
        item_id=item_id,
        link=LinkPublic.model_validate(link) if link else None,
        chain=[PlacedItemPublic.model_validate(step) for step in chain],
        external=ExternalTask.model_validate(external) if external else None,
        version=link["version"] if link else 0,
    )


async def set_link(db: Database, *, item_id: int, data: LinkSet, version: int, actor: Principal) -> ItemServes:
    """Link the item (or change its link) if the link is still at the version the caller saw (0: none yet)."""
    async with db.transaction() as conn:
        await dialect_of(conn).writer_lock(conn, LINK_LOCK)  # before the chains are read
        item = await item_records.get(conn, item_id)
        current = await _current_at(conn, item_id, version)
        if data.serves_item_id is not None:
            await check_target(conn, item_id, item["plan_id"], data.serves_item_id, at=("body", "serves_item_id"))
        values = data.model_dump(include={"serves_item_id", "reference", "title", "source"})
        if current is None:  # its version continues from the item's last link: that link's ETag stays stale
            first = await first_version(conn, item_id)
            await link_records.insert(conn, {"item_id": item_id, **values}, actor=actor.subject, version=first)
        else:
            await link_records.update(conn, current["id"], values, expected_version=version, actor=actor.subject)
        return await _serves(conn, item_id)


async def remove_link(db: Database, *, item_id: int, version: int, actor: Principal) -> None:
    async with db.transaction() as conn:
        await dialect_of(conn).writer_lock(conn, LINK_LOCK)  # before the chains are read
        await item_records.get(conn, item_id)
        current = await _current_at(conn, item_id, version)
        if current is None:
            raise NotFound(f"Item {item_id} serves nothing.")
        await link_records.delete(conn, current["id"], expected_version=version, actor=actor.subject)
        await link_removed(conn, current)


async def _current_at(conn: AsyncConnection, item_id: int, version: int) -> LinkRow | None:
    """The item's link, if it is still at `version` (0: the item has none); else 412."""
    current = await link_of(conn, item_id)
    if (current["version"] if current else 0) != version:
        raise stale(current["version"] if current else 0)
    return current


async def check_target(
    conn: AsyncConnection, item_id: int, plan_id: int, target_id: int, *, at: tuple[str | int, ...]
) -> None:
    """The target exists in another plan, and following its chain upward never comes back to the item; a refusal
    names `at`, where the request (or the plan file) names the target. The caller holds LINK_LOCK."""
    target = await placed(conn, target_id)
    if target is None:
        raise Unprocessable(f"Item {target_id} does not exist.", at=at)
    if target["plan_id"] == plan_id:
        raise Unprocessable("An item serves an item of another (higher-level) plan, not of its own.", at=at)
    last: LinkRow | None = None
    async for step, link in _upward(conn, target_id, MAX_DEPTH):
        if step == item_id:
            raise Unprocessable(f"Item {target_id} already serves item {item_id}: the link would close a cycle.", at=at)
        last = link
    if last is not None and last["serves_item_id"] is not None:
        raise Unprocessable(f"The chain above item {target_id} is longer than {MAX_DEPTH} levels.", at=at)


async def _upward(conn: AsyncConnection, item_id: int, depth: int) -> AsyncIterator[tuple[int, LinkRow | None]]:
    """The item and those up its chain, each with its link (None: it serves nothing), `depth` items at most."""
    step: int | None = item_id
    for _ in range(depth):
        if step is None:
            return
        link = await link_of(conn, step)
        yield step, link
        step = link["serves_item_id"] if link else None


async def served_by(db: Database, *, item_id: int, after_id: int | None, limit: int) -> list[PlacedItem]:
    """The items of lower-level plans that serve the item, in id order."""
    async with db.read() as conn:
        await item_records.get(conn, item_id)
        return await serving(conn, item_id, after_id=after_id, limit=limit)
