"""考核加减分: bonus or penalty points the office gives a unit for a year of a plan, each with its reason."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

from services.reporting_api.db import ReportingModel

HUNDREDTH = Decimal("0.01")


class Hundredths(TypeDecorator[Decimal]):
    """A two-place decimal stored as an integer count of hundredths: exact on SQLite as on PostgreSQL (SQLite
    has no decimal type and would hand back a float)."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        return None if value is None else int(Decimal(value).quantize(HUNDREDTH).scaleb(2))

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value).scaleb(-2).quantize(HUNDREDTH)


class AssessmentAdjustment(ReportingModel, table=True):
    """One 加分 or 减分 of a unit in a plan's annual assessment of one year."""

    __tablename__ = "assessment_adjustments"
    # AUTOINCREMENT on SQLite: a withdrawn adjustment's id is never given again, so its history stays its own.
    __table_args__ = (
        Index("ix_assessment_adjustments_plan_year", "plan_id", "year", "unit_id"),
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int
    year: int
    unit_id: int
    points: Decimal = Field(sa_type=Hundredths)
    reason: str = Field(max_length=500, sa_type=String(500))
    created_by: str = Field(max_length=255)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    version: int = 1
