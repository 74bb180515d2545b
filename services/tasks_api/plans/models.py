"""The plan record."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints
from sqlalchemy import JSON, String, Text
from sqlmodel import Field

from services.tasks_api.db import KEY_PATTERN, Stamped, TasksModel


class PlanStatus(StrEnum):
    """Where a plan stands: draft (草稿), active (实施中), completed (完成) or archived (归档)."""

    DRAFT = "draft"
    ACTIVE = "active"
    COMPLETED = "completed"
    ARCHIVED = "archived"


GENERAL_REQUIREMENTS = "The plan's general requirements (总体要求) as printed."
Principle = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
PRINCIPLES = "The plan's basic principles (基本原则) as printed, one per entry, in printed order."


class PlanFields(TasksModel):
    key: str = Field(
        min_length=1,
        max_length=64,
        schema_extra={"pattern": KEY_PATTERN},
        description="Stable external id, e.g. quzhou-yrd-2019-2025.",
    )
    document_number: str = Field("", max_length=100, description="文号, e.g. 衢委发〔2019〕24号.")
    title: str = Field(min_length=1, max_length=300, description="标题")
    issuers: list[str] = Field(default_factory=list, sa_type=JSON, description="发文机关")
    issued_on: date | None = Field(None, description="印发日期")
    starts_on: date = Field(description="First day of the plan period.")
    ends_on: date = Field(description="Last day of the plan period.")
    status: PlanStatus = Field(PlanStatus.DRAFT, sa_type=String(20))
    summary: str = Field("", max_length=20000, sa_type=Text, description="Preamble or summary (总体要求).")
    general_requirements: str = Field("", max_length=20000, sa_type=Text, description=GENERAL_REQUIREMENTS)
    principles: list[Principle] = Field(default_factory=list, max_length=50, sa_type=JSON, description=PRINCIPLES)


class Plan(PlanFields, Stamped, table=True):
    __tablename__ = "plans"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    issuers: list[str] = Field(default_factory=list, sa_type=JSON, description="Who issued the document (印发单位).")
