"""The report list's SQL: a page of reports for the filters given, each set of filters one statement built once.

As items/pages.py: the statement has a bound parameter for every value, so PostgreSQL prepares it once per connection
and `Database.fetch` runs it on the driver pool, past SQLAlchemy's per-request compile and row handling.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from typing import Any, TypedDict, cast

import orjson
from sqlalchemy import JSON, Select, Text, bindparam
from sqlalchemy import cast as sql_cast

from services.common.db import Database
from services.common.pagination import given, keyset_read, keyset_statement
from services.reporting_api.reports.models import ReportStatus
from services.reporting_api.reports.repository import report_records, reports
from services.reporting_api.reports.schemas import ReportPublic
from services.reporting_api.reports.scope import UnitScope

# The JSON columns (measurements, attachments) are read as the text they are stored as and embedded in the page as
# it is (orjson.Fragment): decoding 100 small documents a page and encoding them again was 70 µs of a page's CPU, and
# the answer is the same JSON.
_JSON_COLUMNS = frozenset(name for name in ReportPublic.model_fields if isinstance(reports.c[name].type, JSON))
LIST_COLUMNS = [  # the columns of a list page, in order
    sql_cast(reports.c[name], Text).label(name) if name in _JSON_COLUMNS else reports.c[name]
    for name in ReportPublic.model_fields
]


class ListedReport(TypedDict):
    """A report as a list page sends it: every column of LIST_COLUMNS (ReportPublic's), as read, of which those this
    module and the page read are declared: the id (the cursor), and the JSON columns as their stored text, embedded
    as it is."""

    id: int
    measurements: orjson.Fragment
    attachments: orjson.Fragment


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


async def report_page(
    db: Database,
    filters: ReportFilters,
    *,
    scope: UnitScope | None,
    after_id: int | None,
    limit: int,
    item_ids: Collection[int] | None = None,
) -> list[ListedReport]:
    """`limit + 1` reports in id order after the cursor, every column in ReportPublic's order; only on `item_ids`
    when given (the items of a number)."""
    values = filters.values()
    if scope is None and item_ids is None:  # the everyday request: one statement per set of filters, built once
        read = keyset_read(page_statement(frozenset(values)), values, after_id=after_id, limit=limit)
        return _embedded(await db.fetch(read, _StoredReport))
    # A unit's scope, and the items of a number, are lists of any length: the engine expands them, a statement per
    # request.
    where = [reports.c[name] == value for name, value in values.items()]
    if scope is not None:
        where.append(scope.clause())
    if item_ids is not None:
        where.append(reports.c.item_id.in_(item_ids))
    async with db.read() as conn:
        page = await report_records.page(conn, where=where, after_id=after_id, limit=limit, columns=LIST_COLUMNS)
    return _embedded(page)


class _StoredReport(TypedDict):
    """A row of LIST_COLUMNS as read (its JSON columns as text); only its JSON columns are read here."""

    measurements: str
    attachments: str


def _embedded(rows: list[_StoredReport] | list[dict[str, object]]) -> list[ListedReport]:
    """The rows (plain dicts) with their JSON columns' text wrapped, in place, to be embedded as it is."""
    for row in rows:
        for name in _JSON_COLUMNS:
            row[name] = orjson.Fragment(str(row[name]))  # type: ignore[literal-required]
    return cast(list[ListedReport], rows)


@cache
def page_statement(names: frozenset[str]) -> Select[Any]:
    """The page for a set of filters: a bound parameter per filter, named after its column, `after_id` and `limit`."""
    # In the columns' order: every set of filters is one statement text, prepared once per connection.
    where = [reports.c[name] == bindparam(name) for name in ReportFilters.__slots__ if name in names]
    return keyset_statement(LIST_COLUMNS, reports.c.id, where)
