"""The typed rows of the annual assessment (年度综合考核) and of its bonus and penalty points (考核加减分).

Scores are `Decimal`s with a fixed number of places, rounded half up, and written in JSON as strings
("87.50", shares "0.6667"): exact, as printed on a 考核 sheet, never 0.37499999999999994.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, TypedDict

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema, field_validator

from services.reporting_api.oversight.schemas.rows import PeriodOversight


def _places(places: int) -> PlainSerializer:
    return PlainSerializer(lambda value: f"{value:.{places}f}", return_type=str)


Points = Annotated[
    Decimal, _places(2), Field(description="Points, two decimal places, as a string.", examples=["87.50"])
]
Share = Annotated[
    Decimal, _places(4), Field(description="A share in [0, 1], four decimal places, as a string.", examples=["0.6667"])
]
Tally = Annotated[
    Decimal, _places(4), Field(description="A weighted count, four decimal places, as a string.", examples=["2.5000"])
]

MAX_ADJUSTMENT = Decimal("20")
# What a client may send as points: a JSON number, or a decimal string (exact), at most two places either way.
_POINTS_IN = WithJsonSchema(
    {
        "anyOf": [
            {"type": "number", "minimum": -20, "maximum": 20},
            {"type": "string", "pattern": r"^-?\d{1,2}(\.\d{1,2})?$", "maxLength": 6},
        ]
    },
    mode="validation",
)


class Metric(StrEnum):
    """The parts of the score (考核分项)."""

    ON_TIME = "on_time"  # 按时报送
    FIRST_TIME_ACCEPTED = "first_time_accepted"  # 一次审核通过
    GREEN_OR_DONE = "green_or_done"  # 绿灯或办结
    INDICATOR_ATTAINMENT = "indicator_attainment"  # 指标完成度


class ScorePart(BaseModel):
    """One part of a unit's score (考核分项): what it counted, its weight and the points it gives."""

    metric: Metric = Field(description="Which part (考核分项).")
    share: Share | None = Field(
        description="achieved / out_of (0–1, four places); null when the unit has no data for this part."
    )
    achieved: Tally = Field(
        description="What counted for the unit: reports on time, reports accepted at their first "
        "submission, items green or done, or the sum of indicator attainments; an "
        "item the unit co-operates on counts `co_operating_weight`."
    )
    out_of: Tally = Field(description="What could have counted, weighted the same way.")
    weight: Share = Field(description="The plan's weight of this part (考核权重).")
    applied_weight: Share = Field(
        description="The weight applied: the weights of the parts without data are spread "
        "over the others; 0 for a part without data."
    )
    points: Points = Field(description="100 × applied_weight × share, rounded half up to two places.")


class AdjustmentCreate(BaseModel):
    """A bonus (加分, positive) or penalty (减分, negative) for a unit in one year's assessment."""

    model_config = ConfigDict(extra="forbid")
    unit_id: int = Field(ge=1, description="The unit adjusted (tasks_api unit id).")
    points: Annotated[Decimal, _POINTS_IN] = Field(
        ge=-MAX_ADJUSTMENT,
        le=MAX_ADJUSTMENT,
        max_digits=4,
        decimal_places=2,
        examples=[2.5],
        description="Points added (positive) or taken off (negative), at most 20 either way, two decimal places; a "
        "JSON number or a decimal string.",
    )
    reason: str = Field(
        min_length=2,
        max_length=500,
        description="Why (加减分理由), e.g. the award or the notice it rests on.",
        examples=["获评省级示范项目，加2.5分"],
    )

    @field_validator("points")
    @classmethod
    def _not_zero(cls, points: Decimal) -> Decimal:
        if points == 0:
            raise ValueError("an adjustment of 0 points changes nothing")
        return points

    @field_validator("reason")
    @classmethod
    def _said(cls, reason: str) -> str:
        if len(reason.strip()) < 2:
            raise ValueError("a reason is required")
        return reason.strip()


class AdjustmentPublic(BaseModel):
    """A bonus or penalty given by the office (考核加减分), with its reason."""

    id: int
    plan_id: int
    year: int = Field(description="The year assessed (考核年度).")
    unit_id: int
    points: Points
    reason: str = Field(description="Why (加减分理由).")
    created_by: str = Field(description="Who gave it.")
    created_at: datetime
    version: int


class AdjustmentList(BaseModel):
    """The bonus and penalty points of one year's assessment of a plan, oldest first."""

    data: list[AdjustmentPublic]


class AssessmentRow(BaseModel):
    """One unit's assessment: its score parts, bonus and penalty points, total and rank."""

    unit_id: int
    unit_name: str
    unit_kind: str = Field(description="The unit's kind (单位类型) in tasks_api.")
    parts: list[ScorePart] = Field(description="The score parts (考核分项), one per metric.")
    score: Points | None = Field(description="The sum of the parts' points (0–100); null when no part has data.")
    adjustments: list[AdjustmentPublic] = Field(description="The office's bonus and penalty points (考核加减分).")
    adjustment_points: Points = Field(description="The sum of the adjustments.")
    total: Points | None = Field(
        description="score + adjustment_points (综合得分); null without a score, whatever the adjustments."
    )
    rank: int | None = Field(
        description="Rank in its list (1, 2, 2, 4 on ties); null in a list that is not ranked or without a total."
    )
    rank_in_kind: int | None = Field(description="Rank among the units of its kind, counted the same way.")
    tied_with: list[str] = Field(description="The units of its list at the same total (shown to the office only).")
    note: str | None = Field(description="Why the rank is what it is: a tie, no data, or a list not ranked.")


class AssessmentList(BaseModel):
    """One list of the assessment (考核名单): like is ranked with like."""

    key: str = Field(description="The list's key (see the plan's `assessment_groups`).", examples=["counties"])
    title: str = Field(description="The list's printed title.")
    kinds: list[str] = Field(description="The kinds of unit in the list.")
    ranked: bool = Field(description="Whether the list is ranked.")
    rows: list[AssessmentRow] = Field(description="Best first; unranked and unscored rows last, by name.")


class Assessment(BaseModel):
    """年度综合考核: each unit scored from the closed periods of the year, ranked within its list."""

    plan_id: int
    year: int = Field(description="The year assessed (考核年度).")
    periods: list[str] = Field(description="The closed periods the assessment is computed from.")
    weights: dict[str, Share] = Field(description="The plan's weights of the parts (考核权重).")
    co_operating_weight: Share = Field(
        description="How much an item the unit co-operates on (配合) counts against "
        "one it leads (牵头, 1) in green_or_done and "
        "indicator_attainment."
    )
    lists: list[AssessmentList] = Field(description="The lists of the plan's assessment groups, in their order.")


# -- typed rows (TypedDict: plain dicts at run time) --------------------------------------------------------


class AdjustmentRow(TypedDict):
    """An assessment adjustment as stored."""

    id: int
    plan_id: int
    year: int
    unit_id: int
    points: Decimal
    reason: str
    created_by: str
    created_at: datetime
    version: int


class ReportOutcome(TypedDict):
    """A report answering for the closed period with the outcome of its first review (for 'accepted first time')."""

    report_id: int
    item_id: int
    unit_id: int
    status: str
    submissions: int
    first_outcome: str | None


class Responsibility(TypedDict):
    item_id: int
    unit_id: int
    role: str


class ClosedSnapshot(PeriodOversight):
    """What a period said when it closed: its four views, its reports' outcomes and every responsibility."""

    reports: list[ReportOutcome]
    responsibilities: list[Responsibility]


class PeriodClosure(TypedDict):
    """A period just closed, with its snapshot (ClosedPeriodPublic)."""

    plan_id: int
    period: str
    closed_by: str
    closed_at: datetime
    snapshot: ClosedSnapshot
