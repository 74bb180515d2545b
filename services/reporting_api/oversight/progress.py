"""An item's progress (进展状态), derived from accepted reports and tasks_api's close-out, never typed in.

The reports stay here and the close-out (办结销号) in tasks_api; the item's `status` there says only whether it
is open, closed or cancelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam, case, func, select

from services.common.contracts.plan_rows import PlanItem
from services.common.tables import table_of
from services.reporting_api.reports.models import Report

reports = table_of(Report)

PROGRESS = ("not_started", "in_progress", "completed", "closed")

PROGRESS_RULE = """\
`progress_status` of an item, over all its reports whatever the period: `closed` once the office approved its
close-out in tasks_api (办结销号); else `completed` when a report its lead unit filed as lead, declaring
`self_status` completed, was accepted; else `in_progress` when any report on it was accepted; else
`not_started`."""


@cache
def accepted_statement() -> Select[Any]:
    """Per item of the plan: how many reports were accepted, and how many of them are the lead's declaring
    completion; one aggregate over the plan's reports."""
    lead_completed = case((reports.c.role == "lead", case((reports.c.self_status == "completed", 1), else_=0)), else_=0)
    return (
        select(
            reports.c.item_id, func.count().label("accepted"), func.sum(lead_completed).cast(Integer).label("completed")
        )
        .where(reports.c.plan_id == bindparam("plan_id"), reports.c.status == "accepted", reports.c.role != "delegate")
        .group_by(reports.c.item_id)
    )


def progress_of_items(items: Iterable[PlanItem], accepted: Iterable[Mapping[str, Any]]) -> dict[int, str]:
    """Item id → its progress status, from the rows of accepted_statement."""
    counts = {row["item_id"]: row for row in accepted}
    found = {}
    for item in items:
        row = counts.get(item.id)
        if item.status == "closed":
            found[item.id] = "closed"
        elif row and row["completed"]:
            found[item.id] = "completed"
        else:
            found[item.id] = "in_progress" if row else "not_started"
    return found
