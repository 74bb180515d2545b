"""Indicators (指标) and milestones (节点) of an item, and how a value is compared with its target."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, DateTime, Index, String, UniqueConstraint
from sqlmodel import Field

from services.common.search_index import Indexed, search_table
from services.tasks_api.db import KEY_PATTERN, Stamped, TasksModel, metadata


class Comparison(StrEnum):
    """How a measured value is compared with its target (比较方式): at least (>=), at most (<=) or equal (=)."""

    AT_LEAST = ">="
    AT_MOST = "<="
    EQUAL = "="


class IndicatorFields(TasksModel):
    key: str = Field(
        min_length=1, max_length=80, schema_extra={"pattern": KEY_PATTERN}, description="Stable external id."
    )
    name: str = Field(min_length=1, max_length=200, description="指标名称")
    measure: str = Field("", max_length=40, description="计量单位: km, %, 个 …")
    baseline: float | None = Field(None, description="基期值")
    target: float = Field(description="目标值")
    comparison: Comparison = Field(Comparison.AT_LEAST, sa_type=String(2))
    target_date: date = Field(description="目标时间")
    yearly_targets: dict[int, float] | None = Field(None, sa_type=JSON, description="年度目标, year → value.")


class Indicator(IndicatorFields, Stamped, table=True):
    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("item_id", "key"), Index("ix_indicators_due", "target_date", "id"))
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="items.id", index=True, ondelete="CASCADE")
    yearly_targets: dict[int, float] | None = Field(None, sa_type=JSON)


class MilestoneFields(TasksModel):
    title: str = Field(min_length=1, max_length=300, description="节点名称")
    due_on: date = Field(description="Current due date.")


class Milestone(MilestoneFields, Stamped, table=True):
    __tablename__ = "milestones"
    __table_args__ = (Index("ix_milestones_due", "due_on", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="items.id", index=True, ondelete="CASCADE")
    original_due_on: date | None = None
    done_at: datetime | None = Field(None, sa_type=DateTime(timezone=True))


# The words of each indicator's name and measure (检索, services/common/search_index.py).
indicator_index = Indexed(search_table(metadata, "indicator_search", "indicators"), ("name", "measure"))
