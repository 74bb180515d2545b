"""The report list's SQL: a page of reports for the filters given, each set of filters one statement built once.

As items/pages.py: the statement has a bound parameter for every value, so PostgreSQL prepares it once per connection
and `Database.fetch` runs it on the driver pool, past SQLAlchemy's per-request compile and row handling.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from sqlalchemy import Select, bindparam

from services.common.db import Database
from services.common.pagination import given, keyset_read, keyset_statement
from services.reporting_api.reports.models import ReportStatus
from services.reporting_api.reports.repository import ReportRow, report_records, reports
from services.reporting_api.reports.schemas import ReportPublic

LIST_COLUMNS = [reports.c[name] for name in ReportPublic.model_fields]  # the columns of a list page, in order


@dataclass(frozen=True, slots=True)
class ReportFilters:
    """Which reports a list shows; every filter is optional."""

    plan_id: int | None = None
    item_id: int | None = None
    unit_id: int | None = None
    period: str | None = None
    status: ReportStatus | None = None
    late: bool | None = None

    def values(self) -> dict[str, object]:
        """The value of each filter given, by its column's name."""
        return given(self)


@dataclass(frozen=True, slots=True)
class UnitScope:
    """What a unit sees: its own reports, and those on the items it leads."""

    unit_id: int
    lead_item_ids: Collection[int]
    delegates: Collection[int] = ()  # on the filtered item: the units the caller delegated it to (转办)


async def report_page(
    db: Database,
    filters: ReportFilters,
    *,
    scope: UnitScope | None,
    after_id: int | None,
    limit: int,
    item_ids: Collection[int] | None = None,
) -> list[ReportRow]:
    """`limit + 1` reports in id order after the cursor, every column in ReportPublic's order; only on `item_ids`
    when given (the items of a number)."""
    values = filters.values()
    if scope is None and item_ids is None:  # the everyday request: one statement per set of filters, built once
        return await db.fetch(
            keyset_read(page_statement(frozenset(values)), values, after_id=after_id, limit=limit), ReportRow
        )
    # A unit's scope, and the items of a number, are lists of any length: the engine expands them, a statement per
    # request.
    where = [reports.c[name] == value for name, value in values.items()]
    if scope is not None:
        seen = (reports.c.unit_id == scope.unit_id) | reports.c.item_id.in_(scope.lead_item_ids)
        if scope.delegates:  # given with an item filter only: the delegates' reports on that item
            seen = seen | reports.c.unit_id.in_(scope.delegates)
        where.append(seen)
    if item_ids is not None:
        where.append(reports.c.item_id.in_(item_ids))
    async with db.read() as conn:
        page = await report_records.page(conn, where=where, after_id=after_id, limit=limit, columns=LIST_COLUMNS)
    return cast(list[ReportRow], page)


@cache
def page_statement(names: frozenset[str]) -> Select[Any]:
    """The page for a set of filters: a bound parameter per filter, named after its column, `after_id` and `limit`."""
    # In the columns' order: every set of filters is one statement text, prepared once per connection.
    where = [reports.c[name] == bindparam(name) for name in ReportFilters.__slots__ if name in names]
    return keyset_statement(LIST_COLUMNS, reports.c.id, where)
