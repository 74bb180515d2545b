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
from services.common.json import integer_list
from services.common.tables import table_of
from services.reporting_api.oversight.texts import Texts, as_texts
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


ACCEPTED_FIELDS = ("item_id", "completed")


@cache
def accepted_texts_statement() -> Select[Any]:
    """accepted_statement's items and their lead completions as one row of texts (texts.py): a plan's thousand items
    as a record each cost the driver more than the rule did."""
    return as_texts(accepted_statement().subquery(), ACCEPTED_FIELDS)


def completed_by_item(texts: Texts) -> dict[int, int]:
    """Item id → how many of its accepted reports are its lead's declaring completion, for every item with an
    accepted report (accepted_texts_statement's texts, ACCEPTED_FIELDS)."""
    items, completed = texts
    return dict(zip(integer_list(items), integer_list(completed), strict=True))


def progress_of_items(items: Iterable[PlanItem], completed: Mapping[int, int]) -> dict[int, str]:
    """Item id → its progress status, from completed_by_item's counts."""
    found = {}
    for item in items:
        if item.status == "closed":
            found[item.id] = "closed"
        elif completed.get(item.id):
            found[item.id] = "completed"
        else:
            found[item.id] = "in_progress" if item.id in completed else "not_started"
    return found
