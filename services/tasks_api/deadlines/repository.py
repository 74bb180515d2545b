"""The deadlines' rows: extension requests as stored, and the calendar's deadlines, typed, with the calendar's SQL."""

from __future__ import annotations

import typing
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypedDict

from sqlalchemy import ColumnElement, Date, Select, String, cast, literal, null, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.contracts import tasks as contract
from services.common.contracts.tasks import UnitRoleRow
from services.common.records import Records, plain_rows
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

    def after(self, key: tuple[date, str, int]) -> ColumnElement[bool]:
        """The rows of this branch past the cursor (due_on, kind, id), its kind known: each branch reads its own
        due-date index from the cursor on, instead of every page sorting the whole window."""
        due_on, kind, last_id = key
        if self.kind > kind:
            return self.due >= due_on
        if self.kind < kind:
            return self.due > due_on
        return tuple_(self.due, self.id) > tuple_(due_on, last_id)


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


async def deadline_page(
    conn: AsyncConnection,
    *,
    from_: date,
    to: date,
    after: tuple[date, str, int] | None,
    limit: int,
    unit_id: int | None,
    plan_id: int | None,
    kind: DeadlineKind | None,
    item_number: str | None = None,
) -> list[DeadlineRow]:
    """A page of what is due in [from_, to] in (due_on, kind, id) order, each with its item's units."""
    pages = []
    for branch in (b for b in BRANCHES if kind in (None, b.kind)):
        query = branch.query.where(branch.due >= from_, branch.due <= to)
        if plan_id is not None:
            query = query.where(items.c.plan_id == plan_id)
        if item_number is not None:
            query = query.where(items.c.number == item_number)
        if unit_id is not None:
            query = query.where(
                items.c.id.in_(select(responsibilities.c.item_id).where(responsibilities.c.unit_id == unit_id))
            )
        if after is not None:
            query = query.where(branch.after(after))
        # Each branch's own page first: the union then sorts at most 3 × (limit + 1) rows.
        pages.append(select(query.order_by(branch.due, branch.id).limit(limit + 1).subquery()))
    rows = union_all(*pages).subquery()
    found: list[dict[str, typing.Any]] = plain_rows(
        await conn.execute(select(rows).order_by(rows.c.due_on, rows.c.kind, rows.c.id).limit(limit + 1))
    )
    units_by_item = await _units_of(conn, {r["item_id"] for r in found})
    return [typing.cast(DeadlineRow, {**row, "units": units_by_item.get(row["item_id"], [])}) for row in found]


async def _units_of(conn: AsyncConnection, item_ids: set[int]) -> dict[int, list[UnitRoleRow]]:
    """The responsible units of the page's items, in printed order, in one query."""
    rows = await conn.execute(
        select(responsibilities.c.item_id, responsibilities.c.unit_id, units.c.name, responsibilities.c.role)
        .join(units, units.c.id == responsibilities.c.unit_id)
        .where(responsibilities.c.item_id.in_(item_ids))
        .order_by(responsibilities.c.item_id, responsibilities.c.position, responsibilities.c.id)
    )
    found: dict[int, list[UnitRoleRow]] = defaultdict(list)
    for item_id, unit_id, unit_name, role in rows:
        found[item_id].append({"unit_id": unit_id, "unit_name": unit_name, "role": role})
    return found
