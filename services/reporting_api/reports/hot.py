"""The report list on the hot path (services/common/hot_reads.py), for callers who see every report.

A unit token sees only its own reports and those on items it leads, which takes a question to tasks_api: that
request goes to the full route."""

from __future__ import annotations

import re
from typing import Any

import asyncpg

from services.common.auth import Principal, Role
from services.common.hot_reads import HotList, plain_id, plain_text
from services.reporting_api.reports.service import LIST_COLUMNS

_COLUMNS = ", ".join(f'"{column.name}"' for column in LIST_COLUMNS)
FILTERS = {"plan_id": plain_id, "item_id": plain_id, "unit_id": plain_id, "period": plain_text}


async def fetch_reports(connection: asyncpg.Connection, filters: dict[str, Any], after: int | None,
                        limit: int) -> list[asyncpg.Record]:
    # Filters always in FILTERS' order: each combination is one statement text, prepared once per connection.
    names = [name for name in FILTERS if name in filters]
    where = " AND ".join([f"{name} = ${number}" for number, name in enumerate(names, 3)] + ["id > $1"])
    return await connection.fetch(f"SELECT {_COLUMNS} FROM reports WHERE {where} ORDER BY id LIMIT $2",
                                  after or 0, limit + 1, *(filters[name] for name in names))


def _sees_every_report(principal: Principal) -> bool:
    return principal.role is not Role.UNIT


REPORT_LIST = HotList(path=re.compile(r"/v1/reports"), filters=FILTERS, fetch=fetch_reports,
                      allows=_sees_every_report)
