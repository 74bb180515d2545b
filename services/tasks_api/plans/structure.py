"""A plan's structure in one answer: its items, assignments and indicators, only the fields the oversight rules of
reporting_api read, with a strong ETag of the answer's bytes.

reporting_api computed a roll-up or compliance from the plan's item, assignment and indicator lists, paged out of
here 500 rows at a time with every item's full text: a cold roll-up of a plan of 1,000 items spent more than a
second on fifteen round trips. This is the same data in one read of four statements, without the text. The ETag is
a digest of the answer itself, so it changes with any change to what is answered, whatever the table; a client
that sends it back in If-None-Match gets 304 and keeps what it parsed (services/common/http.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import BindParameter, Select, bindparam, func, select

from services.common.db import Database
from services.common.json import render
from services.tasks_api.items.repository import items, responsibilities, units
from services.tasks_api.links.repository import links, plans
from services.tasks_api.plans import service
from services.tasks_api.targets.repository import indicators

PLAN: BindParameter[int] = bindparam("plan_id")
Sections = tuple[tuple[bytes, Select[Any]], ...]  # a document's lists: each name and the statement of its rows
ITEMS = (
    select(
        items.c.id,
        items.c.plan_id,
        items.c.parent_id,
        items.c.key,
        items.c.kind,
        items.c.number,
        items.c.title,
        items.c.due_on,
        items.c.status,
        items.c.closed_on,
    )
    .where(items.c.plan_id == PLAN)
    .order_by(items.c.id)
)
# Responsibilities of a unit only (inner join): a collective placeholder is nobody's duty.
ASSIGNMENTS = (
    select(
        responsibilities.c.id,
        responsibilities.c.item_id,
        responsibilities.c.unit_id,
        units.c.name.label("unit_name"),
        responsibilities.c.role,
    )
    .join(items, items.c.id == responsibilities.c.item_id)
    .join(units, units.c.id == responsibilities.c.unit_id)
    .where(items.c.plan_id == PLAN)
    .order_by(responsibilities.c.id)
)
INDICATORS = (
    select(
        indicators.c.id,
        indicators.c.item_id,
        indicators.c.key,
        indicators.c.name,
        indicators.c.measure,
        indicators.c.baseline,
        indicators.c.target,
        indicators.c.comparison,
        indicators.c.target_date,
        indicators.c.yearly_targets,
    )
    .join(items, items.c.id == indicators.c.item_id)
    .where(items.c.plan_id == PLAN)
    .order_by(indicators.c.id)
)
# What the plan's items serve (一方案四清单): the higher-level item with its plan's title, or the external task.
UPPER, UPPER_PLAN = items.alias("upper"), plans.alias("upper_plan")
LINKS = (
    select(
        links.c.item_id,
        links.c.serves_item_id,
        links.c.reference,
        func.coalesce(UPPER.c.number, "").label("number"),
        func.coalesce(UPPER.c.title, links.c.title).label("title"),
        func.coalesce(UPPER_PLAN.c.title, links.c.source).label("plan_title"),
    )
    .join(items, items.c.id == links.c.item_id)
    .outerjoin(UPPER, UPPER.c.id == links.c.serves_item_id)
    .outerjoin(UPPER_PLAN, UPPER_PLAN.c.id == UPPER.c.plan_id)
    .where(items.c.plan_id == PLAN)
    .order_by(links.c.item_id)
)


class PlanOutline(BaseModel):
    """The plan's header: its dates bound its reporting calendar."""

    id: int
    key: str
    title: str
    starts_on: date
    ends_on: date
    status: str


class ItemOutline(BaseModel):
    """An item (ItemPublic without its text): its end, close-out and kind decide what it owes."""

    id: int
    plan_id: int
    parent_id: int | None
    key: str
    kind: str
    number: str
    title: str
    due_on: date | None
    status: str
    closed_on: date | None = Field(description="The Beijing business day the close-out was approved (办结日期).")


class AssignmentOutline(BaseModel):
    """A responsibility of a unit for an item (AssignmentPublic's core)."""

    id: int
    item_id: int
    unit_id: int
    unit_name: str
    role: str


class IndicatorOutline(BaseModel):
    """An indicator of an item and its targets (IndicatorPublic's core)."""

    id: int
    item_id: int
    key: str
    name: str
    measure: str
    baseline: float | None
    target: float = Field(description="目标值")
    comparison: str
    target_date: date
    yearly_targets: dict[str, float] | None = Field(description="年度目标: the target of each year, by the year.")


class LinkOutline(BaseModel):
    """What an item of the plan serves: an item of a higher-level plan (`serves_item_id`) or an external task
    (`reference`), with the number, title and plan title to show."""

    item_id: int
    serves_item_id: int | None = Field(description="The higher-level item in duban; null for an external task.")
    reference: str | None = Field(description="The external task's reference as printed; null for an item.")
    number: str = Field(description="The higher-level item's number; empty for an external task.")
    title: str | None
    plan_title: str | None = Field(description="The higher-level plan's title, or the external task's source.")


class PlanStructure(BaseModel):
    """A plan's header, items, assignments (responsibilities of a unit), indicators and links, each in id order."""

    plan: PlanOutline = Field(description="The plan's header.")
    items: list[ItemOutline] = Field(description="Every item of the plan, in id order.")
    assignments: list[AssignmentOutline] = Field(description="Every responsibility of a unit, in id order.")
    indicators: list[IndicatorOutline] = Field(description="Every indicator of the plan's items, in id order.")
    links: list[LinkOutline] = Field(description="What each linked item serves (上级任务), in item id order.")


# PlanStructure's lists, in its order, with the statement of each.
SECTIONS: Sections = ((b"items", ITEMS), (b"assignments", ASSIGNMENTS), (b"indicators", INDICATORS), (b"links", LINKS))
# Rows read and encoded at a time. A province's plan (50,000 items, 100,000 responsibilities, 50,000 indicators) read
# whole as dicts took ~150 MB beside its 27 MB of JSON; read and encoded a batch at a time, only the JSON grows.
BATCH_ROWS = 5_000


async def plan_structure(db: Database, plan_id: int) -> memoryview:
    """The answer's JSON (its ETag is a digest of it: etag.conditional_json); 404 for an unknown plan."""
    return await plan_document(db, plan_id, SECTIONS)


async def plan_document(db: Database, plan_id: int, sections: Sections) -> memoryview:
    """`{"plan": <header>, "<name>": [<rows>], ...}` of the plan, 404 for an unknown plan: the rows as
    Database.json_batches renders them (PostgreSQL itself, or `render` on SQLite), a batch at a time, written into a
    bytearray (grown in place)."""
    body = bytearray(b'{"plan":' + await plan_header(db, plan_id))
    names = [name for name, _ in sections]
    opened, empty = 0, True  # the sections opened so far; whether the last one has no row yet
    reads = [(statement, {"plan_id": plan_id}) for _, statement in sections]
    async for index, rows in db.json_batches(reads, BATCH_ROWS):
        while opened <= index:
            opened, empty = _open(body, names, opened), True
        body += (b"" if empty else b",") + rows
        empty = False
    while opened < len(sections):
        opened = _open(body, names, opened)
    body += b"]}"
    return memoryview(body)


async def plan_header(db: Database, plan_id: int) -> bytes:
    """The plan's outline as JSON (a document's "plan"); 404 for an unknown plan."""
    return render(PlanOutline.model_validate(await service.get_plan(db, plan_id=plan_id)).model_dump())


def _open(body: bytearray, names: list[bytes], opened: int) -> int:
    """Close the section open (if any) and open the next one; the sections opened now."""
    body += b'%s,"%s":[' % (b"]" if opened else b"", names[opened])
    return opened + 1
