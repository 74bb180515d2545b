"""Typed rows of the periods room: a plan's rules, its periods, an item's cadence and a closed period, as plain
dicts (TypedDict), so that the checker sees their keys and orjson encodes them at no extra cost."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Protocol, TypedDict

from sqlalchemy.ext.asyncio import AsyncConnection

from services.reporting_api.periods.calendar import Cadence


class AssessmentGroupRow(TypedDict):
    """One list of the annual assessment, as the rules store it (JSON)."""

    key: str
    title: str
    kinds: list[str]
    ranked: bool


class PlanRulesRow(TypedDict):
    """A plan's rules as stored (version 0: the defaults, never stored)."""

    plan_id: int
    version: int
    due_days_after_period: int
    due_soon_days: int
    indicator_margin: float
    weights: dict[str, float]
    cadence: str
    cadence_by_kind: dict[str, str]
    assessment_groups: list[AssessmentGroupRow]


class PeriodRow(TypedDict):
    """A period of the plan's calendar with its due date (PeriodPublic)."""

    id: str
    kind: str
    starts_on: date
    ends_on: date
    due_on: date
    due_on_overridden: bool
    official_calendar: bool
    closed: bool
    report_type: str
    owed: bool
    answered_by: str


class ItemCadenceRow(TypedDict):
    """An item's own cadence as stored."""

    item_id: int
    plan_id: int
    cadence: str | None
    set_by: str
    set_at: datetime
    version: int


class ItemCadenceView(TypedDict):
    """An item's own cadence, the one in effect and where that comes from (ItemCadencePublic)."""

    item_id: int
    plan_id: int
    cadence: str | None
    effective: Cadence
    source: str
    version: int


class ClosedPeriodRow(TypedDict):
    """A closed period as stored. The snapshot is the JSON document kept when it closed: its keys grew over time
    (older ones lack `responsibilities`), so its readers (assessment/scores.py) read it as stored."""

    plan_id: int
    period: str
    closed_by: str
    closed_at: datetime
    snapshot: dict[str, Any]


class DueDatesMoved(Protocol):
    """What follows when due dates move (`moved`: period id → its new due date, by `actor`), in the transaction that
    moves them: the reports filed for those periods are judged again on the new dates. The reports room does it
    (app.py hands it to this room's routes as app.state.due_dates_moved), as this room, below it, cannot import it."""

    async def __call__(self, conn: AsyncConnection, plan_id: int, moved: Mapping[str, date], actor: str) -> None: ...
