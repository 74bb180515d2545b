"""The deadlines' rows: extension requests as stored, and the calendar's deadlines, typed, with the calendar's SQL."""

from __future__ import annotations

import typing
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, TypedDict

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    literal,
    null,
    select,
    tuple_,
    union_all,
)

from services.common.contracts import tasks as contract
from services.common.contracts.tasks import UnitRoleRow
from services.common.db import Database
from services.common.dialect import Dialect
from services.common.pagination import given
from services.common.records import Records
from services.common.tables import table_of
from services.tasks_api.db import change_log
from services.tasks_api.deadlines.models import ExtensionRequest
from services.tasks_api.deadlines.schemas import DeadlineKind
from services.tasks_api.items.models import Item, ItemStatus, Responsibility
from services.tasks_api.tables import Unit
from services.tasks_api.targets.models import Indicator, Milestone

extensions = table_of(ExtensionRequest)
items, responsibilities, units = table_of(Item), table_of(Responsibility), table_of(Unit)
indicators, milestones = table_of(Indicator), table_of(Milestone)


class ExtensionRow(TypedDict):
    id: int
    item_id: int
    milestone_id: int | None
    unit_id: int | None
    requested_due_on: date
    reason: str
    previous_due_on: date | None
    status: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_comment: str | None
    version: int


class DeadlineRow(contract.DeadlineRow):
    """Something due on a day (Deadline): a milestone, an item's due date or an indicator's target date; the
    fields notify_api reads (contracts/tasks.py) and the due date before an extension moved it."""

    original_due_on: date | None


extension_records: Records[ExtensionRow] = Records(extensions, "extension", change_log)


# -- the deadline calendar --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Branch:
    """One kind of deadline: its SELECT (the calendar's columns), and the due-date and id columns it is paged on."""

    kind: DeadlineKind
    query: Select[Any]
    due: ColumnElement[date]
    id: ColumnElement[int]

    def after(self, kind: DeadlineKind) -> ColumnElement[bool]:
        """The rows of this branch past a cursor of `kind` (its due date and id bound as `after_due`, `after_id`), the
        cursor's kind known: each branch reads its own due-date index from the cursor on, instead of every page
        sorting the whole window."""
        due_on = bindparam("after_due", type_=Date)
        if self.kind > kind:
            return self.due >= due_on
        if self.kind < kind:
            return self.due > due_on
        return tuple_(self.due, self.id) > tuple_(due_on, bindparam("after_id", type_=Integer))


ITEM_COLUMNS = (
    items.c.id.label("item_id"),
    items.c.plan_id,
    items.c.key.label("item_key"),
    items.c.number.label("item_number"),
    items.c.title.label("item_title"),
)


def _label(kind: DeadlineKind) -> ColumnElement[str]:
    return literal(kind.value, String).label("kind")


# Only open items owe anything: a closed (办结) or cancelled item's due dates, milestones and targets are left out,
# so notify_api sends no reminder and the calendar feeds no event for them.
OPEN = items.c.status == ItemStatus.OPEN.value

BRANCHES = (
    Branch(
        DeadlineKind.MILESTONE,
        select(
            _label(DeadlineKind.MILESTONE),
            milestones.c.id,
            *ITEM_COLUMNS,
            milestones.c.title,
            milestones.c.due_on,
            milestones.c.original_due_on,
        )
        .join(items, items.c.id == milestones.c.item_id)
        .where(OPEN, milestones.c.done_at.is_(None)),
        milestones.c.due_on,
        milestones.c.id,
    ),
    Branch(
        DeadlineKind.ITEM,
        select(
            _label(DeadlineKind.ITEM), items.c.id, *ITEM_COLUMNS, items.c.title, items.c.due_on, items.c.original_due_on
        ).where(OPEN),
        items.c.due_on,
        items.c.id,
    ),
    Branch(
        DeadlineKind.INDICATOR,
        select(
            _label(DeadlineKind.INDICATOR),
            indicators.c.id,
            *ITEM_COLUMNS,
            indicators.c.name.label("title"),
            indicators.c.target_date.label("due_on"),
            cast(null(), Date).label("original_due_on"),
        )
        .join(items, items.c.id == indicators.c.item_id)
        .where(OPEN),
        indicators.c.target_date,
        indicators.c.id,
    ),
)


@dataclass(frozen=True, slots=True)
class CalendarFilters:
    """Which deadlines a calendar page lists: a window of due dates, and optionally a plan, an item number, a unit."""

    from_: date
    to: date
    plan_id: int | None = None
    item_number: str | None = None
    unit_id: int | None = None


async def deadline_page(
    db: Database,
    filters: CalendarFilters,
    *,
    after: tuple[date, DeadlineKind, int] | None,
    limit: int,
    kind: DeadlineKind | None,
) -> list[DeadlineRow]:
    """A page of what is due in the window in (due_on, kind, id) order, each with its item's units: two statements,
    each built once per shape and run on the driver pool (a dispatch reads a province's window, 5,000 rows a page:
    through SQLAlchemy's compile of one parameter per item and its rows, ~100 ms of CPU a page)."""
    values = given(filters) | {"limit": limit + 1}  # each filter given, by the name of its bound parameter
    if after is not None:
        values |= {"after_due": after[0], "after_id": after[2]}
    statement = calendar_statement(frozenset(values), kind, after[1] if after else None)
    found: list[dict[str, typing.Any]] = await db.fetch((statement, values), dict)
    if not found:
        return []
    units_by_item = await _units_of(db, {r["item_id"] for r in found})
    return [typing.cast(DeadlineRow, {**row, "units": units_by_item.get(row["item_id"], [])}) for row in found]


@cache  # few shapes: the filters given, the kind asked for, the cursor's kind
def calendar_statement(names: frozenset[str], kind: DeadlineKind | None, after: DeadlineKind | None) -> Select[Any]:
    """A calendar page: each branch's own page first (the union then sorts at most 3 × (limit + 1) rows)."""
    pages = []
    for branch in (b for b in BRANCHES if kind in (None, b.kind)):
        query = branch.query.where(
            branch.due >= bindparam("from_", type_=Date), branch.due <= bindparam("to", type_=Date)
        )
        if "plan_id" in names:
            query = query.where(items.c.plan_id == bindparam("plan_id", type_=Integer))
        if "item_number" in names:
            query = query.where(items.c.number == bindparam("item_number", type_=String))
        if "unit_id" in names:
            duties = select(responsibilities.c.item_id).where(responsibilities.c.unit_id == bindparam("unit_id"))
            query = query.where(items.c.id.in_(duties))
        if after is not None:
            query = query.where(branch.after(after))
        pages.append(select(query.order_by(branch.due, branch.id).limit(bindparam("limit")).subquery()))
    rows = union_all(*pages).subquery()
    return select(rows).order_by(rows.c.due_on, rows.c.kind, rows.c.id).limit(bindparam("limit"))


async def _units_of(db: Database, item_ids: set[int]) -> dict[int, list[UnitRoleRow]]:
    """The responsible units of the page's items, in printed order, in one query."""
    rows = await db.fetch((_units_statement(db.dialect), {"item_ids": list(item_ids)}), dict)
    found: dict[int, list[UnitRoleRow]] = defaultdict(list)
    for row in rows:
        found[row["item_id"]].append({"unit_id": row["unit_id"], "unit_name": row["name"], "role": row["role"]})
    return found


@cache  # one per dialect: the item ids are one array parameter on PostgreSQL (Dialect.any_of)
def _units_statement(dialect: Dialect) -> Select[Any]:
    return (
        select(responsibilities.c.item_id, responsibilities.c.unit_id, units.c.name, responsibilities.c.role)
        .join(units, units.c.id == responsibilities.c.unit_id)
        .where(dialect.any_of(responsibilities.c.item_id, "item_ids"))
        .order_by(responsibilities.c.item_id, responsibilities.c.position, responsibilities.c.id)
    )
