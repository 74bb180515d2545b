"""The report list on the hot path (services/common/hot_reads.py), for callers who see every report.

A unit token sees only its own reports and those on items it leads, which takes a question to tasks_api: that
request goes to the full route."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select

from services.common.auth import Principal, Role
from services.common.hot_reads import HotList, plain_id, plain_text
from services.reporting_api.reports.repository import reports
from services.reporting_api.reports.service import LIST_COLUMNS

FILTERS = {"plan_id": plain_id, "item_id": plain_id, "unit_id": plain_id, "period": plain_text}


@cache
def report_page(filters: frozenset[str]) -> Select[Any]:
    """The page service.list_reports reads for these filters."""
    # In FILTERS' order: every set of filters is one statement text, prepared once per connection.
    where = [reports.c[name] == bindparam(name) for name in FILTERS if name in filters]
    return (
        select(*LIST_COLUMNS)
        .where(*where, reports.c.id > bindparam("after_id"))
        .order_by(reports.c.id)
        .limit(bindparam("limit"))
    )


def _sees_every_report(principal: Principal) -> bool:
    return principal.role is not Role.UNIT


REPORT_LIST = HotList(path=re.compile(r"/v1/reports"), filters=FILTERS, page=report_page, allows=_sees_every_report)
