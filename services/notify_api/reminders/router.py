"""HTTP routes for upcoming deadlines (时限) and the office's overdue bulletin (逾期通报)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field

from services.common import clock
from services.common.auth import PrincipalDep, Staff
from services.common.documents import (
    DocumentNumber,
    Issuer,
    docx_download,
    docx_response,
    plan_office,
)
from services.common.pagination import (
    Cursor,
    Limit,
    decode_tuple_cursor,
    paginate,
    strict_int,
)
from services.common.problems import problem_responses
from services.common.routing import READ_ERRORS, ItemNumber, api_router
from services.notify_api.deps import DatabaseDep, ReportingDep, TasksDep
from services.notify_api.reminders import service
from services.notify_api.reminders.documents import bulletin_document
from services.notify_api.reminders.service import BULLETIN_RULE
from services.notify_api.reminders.views import row_key

router = api_router("deadlines")
ERRORS = {**READ_ERRORS, **problem_responses(503)}
MAX_DAYS = 366

AsOf = Annotated[date | None, Query(description="Look from this day (default: today in Asia/Shanghai).")]


class UnitDuty(BaseModel):
    """A unit's duty on an upcoming deadline: lead or co-operating."""

    unit_id: int
    unit_name: str
    role: str = Field(description="lead (牵头) or co (配合).", examples=["lead"])


class ReportItem(BaseModel):
    """One item of a unit's report deadline, and the report it owes on it."""

    item_id: int
    item_key: str
    item_number: str
    item_title: str
    role: str = Field(description="lead (牵头) or co (配合).", examples=["lead"])
    period: str = Field(description="The period of the report owed.", examples=["2024-H1"])
    report_type: str = Field(
        description="monthly, quarterly (季度梳理), half_year (半年小结) or annual (年度汇总).", examples=["half_year"]
    )


class UpcomingDeadline(BaseModel):
    """A deadline coming up (临近时限), with the units responsible."""

    kind: str = Field(
        description="item, milestone, indicator, or report (a unit's reports due that day, not yet "
        "submitted: one deadline per unit and due date, listing the items)."
    )
    id: int = Field(description="The item, milestone or indicator id; for a report, the unit id.")
    plan_id: int
    item_id: int
    item_key: str
    item_number: str
    item_title: str
    title: str = Field(description="What is due: the item, the milestone, the indicator, or the report.")
    period: str | None = Field(description="The reporting period, for a report (of its first item).")
    due_on: date
    units: list[UnitDuty]
    items: list[ReportItem] = Field(
        default_factory=list,
        description="For a report: every item the unit owes a report on that day; empty otherwise.",
    )
    days_left: int = Field(description="Calendar days from as_of to due_on.")
    workdays_left: int = Field(description="Working days after as_of up to and including due_on (调休 counted).")
    official_calendar: bool = Field(
        description="False when the working days were counted without the official calendar (a year it does not "
        "know yet: weekends and the statutory holidays fixed by law, without that year's 调休)."
    )


class UpcomingPage(BaseModel):
    """Deadlines coming up in a window, one page."""

    as_of: date
    until: date
    unit_id: int | None
    official_calendar: bool = Field(description="False when the window leaves the official calendar's years.")
    data: list[UpcomingDeadline]
    next_cursor: str | None


class BulletinDeadline(BaseModel):
    """An unmet deadline of an item on a red bulletin."""

    kind: str
    id: int
    title: str
    period: str | None
    due_on: date
    days_overdue: int
    workdays_overdue: int = Field(description="Working days past the due day (逾期工作日数; at least 1 when overdue).")
    step: str


class LeaderRef(BaseModel):
    """A leader, by id and name."""

    id: int
    name: str


class BulletinItem(BaseModel):
    """An item on a red bulletin (红色督办单), with its units, leaders and unmet deadlines."""

    item_id: int
    item_key: str
    item_number: str
    item_title: str
    days_overdue: int
    units: list[UnitDuty]
    lead_leaders: list[LeaderRef]
    deadlines: list[BulletinDeadline] = Field(description="The item's unmet deadlines.")


class Bulletin(BaseModel):
    """逾期事项通报: the items in red on a day."""

    plan_id: int
    plan_title: str
    date: date
    count: int = Field(description="How many items are on the bulletin.")
    items: list[BulletinItem] = Field(description="The items on the bulletin, most overdue first.")


def _today(as_of: date | None) -> date:
    return as_of or clock.business_today()


@router.get(
    "/deadlines/upcoming",
    summary="Deadlines coming up, with days left in calendar and working days",
    responses=ERRORS,
)
async def list_upcoming_deadlines(
    request: Request,
    response: Response,
    tasks: TasksDep,
    reporting: ReportingDep,
    principal: PrincipalDep,
    unit_id: Annotated[int | None, Query(description="Only this unit's deadlines; a unit token sees its own.")] = None,
    plan_id: Annotated[int | None, Query(description="Only this plan's deadlines.")] = None,
    days: Annotated[int, Query(ge=0, le=MAX_DAYS, description=f"How far ahead (default 30, max {MAX_DAYS}).")] = 30,
    as_of: AsOf = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    item_number: ItemNumber = None,
) -> UpcomingPage:
    after = decode_tuple_cursor(cursor, date.fromisoformat, str, str, strict_int)
    view = await service.upcoming(
        tasks,
        reporting,
        principal=principal,
        unit_id=unit_id,
        plan_id=plan_id,
        days=days,
        today=_today(as_of),
        after=after,
        limit=limit,
        item_number=item_number,
    )
    page, headers = paginate(view["rows"], limit, request, row_key)
    response.headers.update(headers)
    window = {key: view[key] for key in ("as_of", "until", "unit_id", "official_calendar")}
    return UpcomingPage.model_validate({**window, **page})


@router.get(
    "/bulletins",
    summary="The office's overdue bulletin: items in red on a day",
    description=BULLETIN_RULE,
    responses=ERRORS,
)
async def get_bulletin(
    plan_id: int,
    db: DatabaseDep,
    tasks: TasksDep,
    reporting: ReportingDep,
    _: PrincipalDep,
    on: Annotated[date | None, Query(alias="date", description="The day (default: today in Asia/Shanghai).")] = None,
) -> Bulletin:
    return Bulletin.model_validate(await service.bulletin(db, tasks, reporting, plan_id=plan_id, day=_today(on)))


@router.get(
    "/bulletins.docx",
    summary="The office's overdue bulletin as an official document (督办通报, .docx)",
    description=BULLETIN_RULE + "\n\nThe same items as `GET /v1/bulletins`, in the layout of GB/T 9704: the issuer "
    "over a red rule, the document number, the title, a table of the items with their units and unmet "
    "deadlines, the signature block. For the office.",
    response_class=Response,
    responses={**docx_response("The bulletin."), **ERRORS},
)
async def get_bulletin_document(
    plan_id: int,
    db: DatabaseDep,
    tasks: TasksDep,
    reporting: ReportingDep,
    _: Staff,
    number: DocumentNumber = None,
    issuer: Issuer = None,
    on: Annotated[date | None, Query(alias="date", description="The day (default: today in Asia/Shanghai).")] = None,
) -> Response:
    view = await service.bulletin(db, tasks, reporting, plan_id=plan_id, day=_today(on))
    issuer = issuer or await plan_office(tasks, plan_id)
    day = view["date"].isoformat()
    return docx_download(
        bulletin_document(view, issuer=issuer, number=number),
        ascii_name=f"bulletin-{plan_id}-{day}.docx",
        name=f"督办通报-{day}.docx",
    )
