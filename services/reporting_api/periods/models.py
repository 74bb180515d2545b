"""Per-plan reporting rules, due-date overrides and closed periods."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic import Field as Describe
from sqlalchemy import JSON, DateTime, Index, String
from sqlmodel import Field

from services.common.tables import SQLModelConfig
from services.reporting_api.db import ReportingModel
from services.reporting_api.periods.calendar import Cadence

DEFAULT_WEIGHTS = {"on_time": 0.3, "first_time_accepted": 0.2, "green_or_done": 0.3, "indicator_attainment": 0.2}
# Kinds tasks_api may give to a collective phrase (市级有关部门, 及相关部门) kept as a placeholder: never a unit to
# assess, whatever a plan's assessment groups say.
PLACEHOLDER_KINDS = frozenset({"collective", "placeholder"})
_KIND = r"^[a-z][a-z_]{0,19}$"


class AssessmentGroup(BaseModel):
    """One list of the annual assessment (考核名单): the kinds of unit it holds, and whether it is ranked."""

    model_config = ConfigDict(extra="forbid")
    key: str = Describe(
        max_length=30,
        pattern=r"^[a-z][a-z_]{0,29}$",
        description="The list's key, e.g. `counties`.",
        examples=["counties"],
    )
    title: str = Describe(
        min_length=1,
        max_length=40,
        description="The list's printed title, e.g. 县（市、区）.",
        examples=["县（市、区）"],
    )
    kinds: list[Annotated[str, Describe(max_length=20, pattern=_KIND)]] = Describe(
        min_length=1,
        max_length=10,
        description="The kinds of unit (tasks_api `kind`) assessed in this list.",
        examples=[["county"]],
    )
    ranked: bool = Describe(description="Ranked (排名) or listed apart without a rank (单列不排名).")


def _distinct_groups(groups: list[AssessmentGroup]) -> list[AssessmentGroup]:
    """A kind belongs to one list at most, keys are unique, and a placeholder kind is never assessed."""
    kinds = [kind for group in groups for kind in group.kinds]
    if len(set(kinds)) != len(kinds) or len({g.key for g in groups}) != len(groups):
        raise ValueError("each kind may be in one assessment group only, and group keys must be unique")
    if PLACEHOLDER_KINDS & set(kinds):
        raise ValueError(f"placeholder kinds ({', '.join(sorted(PLACEHOLDER_KINDS))}) are never assessed")
    return groups


AssessmentGroups = Annotated[list[AssessmentGroup], AfterValidator(_distinct_groups)]
# Counties against counties, city departments against departments (the 考核 of 各县（市、区） and 市级部门); the
# other kinds are listed apart, each in its own list, without a rank. A kind named in no group is left out.
DEFAULT_ASSESSMENT_GROUPS = [
    {"key": "counties", "title": "县（市、区）", "kinds": ["county"], "ranked": True},
    {"key": "departments", "title": "市级部门", "kinds": ["department"], "ranked": True},
    {"key": "zones", "title": "功能区", "kinds": ["zone"], "ranked": False},
    {"key": "enterprises", "title": "企业", "kinds": ["enterprise"], "ranked": False},
    {"key": "universities", "title": "高校", "kinds": ["university"], "ranked": False},
    {"key": "other_units", "title": "其他单位", "kinds": ["office", "task_force", "people_org"], "ranked": False},
]


class RuleFields(ReportingModel):
    due_days_after_period: int = Field(
        10,
        ge=0,
        le=90,
        description="Calendar days after a period ends until its "
        "report is due; a non-working day moves it to the next working day.",
    )
    due_soon_days: int = Field(
        7, ge=0, le=60, description="Yellow when a report is due within this many days and missing."
    )
    indicator_margin: float = Field(
        0.1,
        ge=0,
        le=1,
        description="Red when an indicator is behind its straight-line "
        "path to target by more than this share of the way.",
    )
    weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_WEIGHTS),
        sa_type=JSON,
        description="Annual assessment weights (考核权重), summing to 1.",
    )
    cadence: Cadence = Field(
        Cadence.QUARTERLY,
        sa_type=String(20),
        description="How often an item owes a report unless its kind or the item says otherwise "
        "(报送频次): quarterly = 季度梳理 at the end of Q1 and Q3, the half-year "
        "summary at mid-year and the annual summary at year end.",
    )
    cadence_by_kind: dict[str, Cadence] = Field(
        default_factory=dict,
        sa_type=JSON,
        description="A cadence per item kind (e.g. special_action: monthly), over the plan's default.",
    )
    assessment_groups: AssessmentGroups = Field(
        default_factory=lambda: [AssessmentGroup.model_validate(g) for g in DEFAULT_ASSESSMENT_GROUPS],
        sa_type=JSON,
        description="The lists of the annual assessment (考核分组): which kinds of unit are ranked together, "
        "listed apart unranked, or (named in no list) left out.",
    )


class PlanRules(RuleFields, table=True):
    """The reporting rules of one plan (defaults until the office changes them)."""

    __tablename__ = "plan_rules"
    plan_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS), sa_type=JSON)
    cadence_by_kind: dict[str, Cadence] = Field(default_factory=dict, sa_type=JSON)
    # The table keeps the JSON as stored: a SQLModel table model neither validates nor encodes nested models.
    assessment_groups: list[dict[str, Any]] = Field(  # type: ignore[assignment]
        default_factory=lambda: [dict(g) for g in DEFAULT_ASSESSMENT_GROUPS], sa_type=JSON
    )
    version: int = 1


class RulesUpdate(ReportingModel):
    """Changes to a plan's reporting rules; fields left out stay as they are."""

    model_config = SQLModelConfig(extra="forbid")
    due_days_after_period: int | None = Field(
        None, ge=0, le=90, description="Calendar days after a period's end its reports are due, moved to a working day."
    )
    due_soon_days: int | None = Field(
        None, ge=0, le=60, description="Days before a due day a missing report turns an item yellow."
    )
    indicator_margin: float | None = Field(
        None,
        ge=0,
        le=1,
        description="How far (0–1) attainment may trail the straight-line share before an indicator counts as behind.",
    )
    weights: dict[str, float] | None = None
    assessment_groups: AssessmentGroups | None = Field(
        None, max_length=20, description="The assessment's lists; the whole list replaces the current one."
    )
    cadence: Cadence | None = Field(None, description="The plan's default cadence (报送频次).")
    cadence_by_kind: dict[str, Cadence] | None = Field(
        None, description="A cadence per item kind; replaces the whole map ({} clears it)."
    )


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
