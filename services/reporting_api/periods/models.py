"""Per-plan reporting rules, due-date overrides and closed periods."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict
from sqlalchemy import JSON, DateTime, Index, String
from sqlmodel import Field

from services.reporting_api.db import ReportingModel
from services.reporting_api.periods.calendar import Cadence

DEFAULT_WEIGHTS = {"on_time": 0.3, "first_time_accepted": 0.2, "green_or_done": 0.3, "indicator_attainment": 0.2}


class RuleFields(ReportingModel):
    due_days_after_period: int = Field(10, ge=0, le=90, description="Calendar days after a period ends until its "
                                       "report is due; a non-working day moves it to the next working day.")
    due_soon_days: int = Field(7, ge=0, le=60, description="Yellow when a report is due within this many days and "
                                                           "missing.")
    indicator_margin: float = Field(0.1, ge=0, le=1, description="Red when an indicator is behind its straight-line "
                                    "path to target by more than this share of the way.")
    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS), sa_type=JSON,
                                      description="Annual assessment weights (考核权重), summing to 1.")
    cadence: Cadence = Field(Cadence.QUARTERLY, sa_type=String(20),
                             description="How often an item owes a report unless its kind or the item says otherwise "
                                         "(报送频次): quarterly = 季度梳理 at the end of Q1 and Q3, the half-year "
                                         "summary at mid-year and the annual summary at year end.")
    cadence_by_kind: dict[str, Cadence] = Field(default_factory=dict, sa_type=JSON,
                                                description="A cadence per item kind (e.g. special_action: "
                                                            "monthly), over the plan's default.")


class PlanRules(RuleFields, table=True):
    """The reporting rules of one plan (defaults until the office changes them)."""

    __tablename__ = "plan_rules"
    plan_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS), sa_type=JSON)
    cadence_by_kind: dict[str, Cadence] = Field(default_factory=dict, sa_type=JSON)
    version: int = 1


class RulesUpdate(ReportingModel):
    """Changes to a plan's reporting rules; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    due_days_after_period: int | None = Field(None, ge=0, le=90, description="Calendar days after a period's end its "
                                                                             "reports are due, moved to a working "
                                                                             "day.")
    due_soon_days: int | None = Field(None, ge=0, le=60, description="Days before a due day a missing report turns "
                                                                     "an item yellow.")
    indicator_margin: float | None = Field(None, ge=0, le=1, description="How far (0–1) attainment may trail the "
                                                                         "straight-line share before an indicator "
                                                                         "counts as behind.")
    weights: dict[str, float] | None = None
    cadence: Cadence | None = Field(None, description="The plan's default cadence (报送频次).")
    cadence_by_kind: dict[str, Cadence] | None = Field(None, description="A cadence per item kind; replaces the "
                                                                         "whole map ({} clears it).")


class ItemCadence(ReportingModel, table=True):
    """An item's own cadence, set by the office over the plan's rules (null: the rules decide again)."""

    __tablename__ = "item_cadences"
    __table_args__ = (Index("ix_item_cadences_plan", "plan_id"),)
    item_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    plan_id: int
    cadence: Cadence | None = Field(None, sa_type=String(20))
    set_by: str = Field(max_length=255)
    set_at: datetime = Field(sa_type=DateTime(timezone=True))
    version: int = 1


class DueDateOverride(ReportingModel, table=True):
    """A period whose due date the office set by hand."""

    __tablename__ = "due_date_overrides"
    plan_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    period: str = Field(primary_key=True, max_length=10, sa_type=String(10))
    due_on: date
    set_by: str = Field(max_length=255)
    set_at: datetime = Field(sa_type=DateTime(timezone=True))


class ClosedPeriod(ReportingModel, table=True):
    """A closed period: what compliance, roll-ups, traffic lights and indicators said when it closed."""

    __tablename__ = "closed_periods"
    plan_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    period: str = Field(primary_key=True, max_length=10, sa_type=String(10))
    closed_by: str = Field(max_length=255)
    closed_at: datetime = Field(sa_type=DateTime(timezone=True))
    snapshot: dict[str, Any] = Field(sa_type=JSON)
