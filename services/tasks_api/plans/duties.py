"""A plan's duties in one answer (GET /v1/plans/{id}/duties): its header, its items' facts and its responsibilities of
a unit, the fields reporting_api's obligations read, with a strong ETag of the answer's bytes.

notify_api's dispatch asks reporting_api for every plan's obligations, and reporting_api read each plan's structure
for them: a plan of 50,000 items was a 27 MB answer, a third of it the indicators and their yearly targets that
obligations never read, built here in about a second of CPU for every dispatch. This is the part obligations read,
in two statements. The ETag is a digest of the answer, as the structure's: a client that sends it back in
If-None-Match gets 304 and keeps what it parsed.

The same answer as columns (GET /v1/plans/{id}/duties/columns, what reporting_api reads): each list a list of blocks
of up to BLOCK_ROWS records, a block a JSON object of a list per field, the nth value of each list the nth record's.
No field name repeated per record: a province's duties are 8.9 MB instead of 16.4, rendered by PostgreSQL in half
the time, and parsed by reporting_api in a third of it (contracts/columns.py), a few blocks at a time as they arrive
(contracts/sliced.py: the whole validated at once took 75 MB beside it, its blocks 14).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import select

from services.common.column_blocks import BLOCK_ROWS, block_model
from services.common.db import Database
from services.tasks_api.items.repository import items
from services.tasks_api.plans.structure import (
    ASSIGNMENTS,
    PLAN,
    AssignmentOutline,
    PlanOutline,
    plan_document,
    plan_header,
)


class DutyItem(BaseModel):
    """What decides whether an item owes a report (its kind, end and close-out), and what an obligation shows of it."""

    id: int
    kind: str = Field(description="The item's kind: its cadence may be the kind's.")
    key: str
    number: str
    title: str
    due_on: date | None = Field(description="The item's end: it owes nothing for a period starting after it.")
    closed_on: date | None = Field(description="The Beijing business day the close-out was approved (办结日期).")
    status: str = Field(description="open, closed or cancelled: a cancelled item (the plan dropped it) owes nothing.")


class PlanDuties(BaseModel):
    """A plan's header, its items' facts and its responsibilities of a unit, each in id order."""

    plan: PlanOutline = Field(description="The plan's header: its start and end bound the reporting calendar.")
    items: list[DutyItem] = Field(description="Every item of the plan, in id order.")
    assignments: list[AssignmentOutline] = Field(description="Every responsibility of a unit, in id order.")


# The items' columns the answer gives, those of DutyItem, in its order.
DUTY_ITEMS = (
    select(*(items.c[name] for name in DutyItem.model_fields)).where(items.c.plan_id == PLAN).order_by(items.c.id)
)


async def plan_duties(db: Database, plan_id: int) -> memoryview:
    """The answer's JSON (its ETag is a digest of it: etag.conditional_json); 404 for an unknown plan. Written a batch
    of rows at a time, as the structure is: a province's plan is 150,000 rows."""
    return await plan_document(db, plan_id, ((b"items", DUTY_ITEMS), (b"assignments", ASSIGNMENTS)))


class PlanDutyColumns(BaseModel):
    """A plan's header, its items' facts and its responsibilities of a unit, each in id order as blocks of columns."""

    plan: PlanOutline = Field(description="The plan's header: its start and end bound the reporting calendar.")
    items: list[block_model(DutyItem)] = Field(  # type: ignore[valid-type]
        description="Every item of the plan, in id order, in blocks."
    )
    assignments: list[block_model(AssignmentOutline)] = Field(  # type: ignore[valid-type]
        description="Every responsibility of a unit, in id order, in blocks."
    )


async def plan_duty_columns(db: Database, plan_id: int) -> memoryview:
    """The answer's JSON as columns (its ETag a digest of it); 404 for an unknown plan."""
    header = await plan_header(db, plan_id)
    reads = [(read, {"plan_id": plan_id}) for read in (DUTY_ITEMS, ASSIGNMENTS)]
    facts, assignments = [await db.json_column_blocks(read, BLOCK_ROWS) for read in reads]
    return memoryview(b'{"plan":%s,"items":%s,"assignments":%s}' % (header, facts, assignments))
