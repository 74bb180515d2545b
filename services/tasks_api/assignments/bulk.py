"""Bulk acknowledgement (批量签收): a unit acknowledges many of its assignments in one request.

Each element is the single acknowledgement (service.acknowledge) in its own transaction, with its rules and its
history row; the request adds one row to the unit's `bulk_acknowledgement` history saying what it did."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from services.common.auth import Principal
from services.common.bulk import MAX_ELEMENTS, BulkResult, ElementId, ElementStatus, distinct, each, record_bulk
from services.common.db import Database
from services.common.problems import NotFound, Unprocessable
from services.tasks_api.assignments import service
from services.tasks_api.db import change_log
from services.tasks_api.items.repository import responsibilities, units

BULK_ENTITY = "bulk_acknowledgement"  # a unit's bulk acknowledgements, by unit id


class AcknowledgementBatch(BaseModel):
    """The assignments a unit acknowledges at once (批量签收): named, or every one not acknowledged yet."""

    model_config = ConfigDict(extra="forbid")
    responsibility_ids: list[ElementId] | None = Field(
        None,
        min_length=1,
        max_length=MAX_ELEMENTS,
        description=f"The responsibilities to acknowledge (at most {MAX_ELEMENTS}); an id named twice is "
        "acknowledged once and answered once.",
    )
    all_pending: bool = Field(
        False,
        description=f"Acknowledge every assignment of the unit not acknowledged yet (the first {MAX_ELEMENTS} by id; "
        "call again for the rest). Either this or responsibility_ids.",
    )


async def _named_or_pending(db: Database, unit_id: int, batch: AcknowledgementBatch) -> tuple[list[int], set[int]]:
    """The ids to acknowledge, and which of them are the unit's (one read before the elements' transactions)."""
    r = responsibilities.c
    async with db.read() as conn:
        if await conn.scalar(select(units.c.id).where(units.c.id == unit_id)) is None:
            raise NotFound(f"Unit {unit_id} does not exist.")
        if batch.all_pending:
            pending = select(r.id).where(r.unit_id == unit_id, r.acknowledged_at.is_(None))
            ids = list((await conn.execute(pending.order_by(r.id).limit(MAX_ELEMENTS))).scalars())
            return ids, set(ids)
        ids = distinct(batch.responsibility_ids or ())
        own = select(r.id).where(r.id.in_(ids), r.unit_id == unit_id)
        return ids, set((await conn.execute(own)).scalars())


async def acknowledge_many(
    db: Database, *, unit_id: int, batch: AcknowledgementBatch, principal: Principal
) -> BulkResult:
    """批量签收: every element as the single acknowledgement would do it; a unit token only for its own unit."""
    principal.scoped_unit(unit_id)
    if batch.all_pending == (batch.responsibility_ids is not None):
        raise Unprocessable("Name the responsibility_ids to acknowledge, or send all_pending: true (not both).")
    ids, own = await _named_or_pending(db, unit_id, batch)

    async def acknowledge(responsibility_id: int) -> None:
        if responsibility_id not in own:
            # Its own transaction reads it: 404 for an unknown id, as the single call answers.
            await service.get_responsibility(db, responsibility_id=responsibility_id)
            raise Unprocessable(
                f"Responsibility {responsibility_id} is not an assignment of unit {unit_id}.",
                at=("body", "responsibility_ids", (batch.responsibility_ids or ids).index(responsibility_id)),
            )
        await service.acknowledge(db, responsibility_id=responsibility_id, principal=principal)

    result = BulkResult.of(await each(ids, acknowledge))
    if result.succeeded:
        async with db.transaction() as conn:
            did = {"acknowledged": result.ids(ElementStatus.OK), "refused": result.ids(ElementStatus.REFUSED)}
            await record_bulk(conn, change_log, entity=BULK_ENTITY, entity_id=unit_id, actor=principal.subject, did=did)
    return result
