"""What the targets routes take and answer: indicators, milestones, lead leaders."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Field

from services.common.tables import SQLModelConfig
from services.tasks_api.db import TasksModel
from services.tasks_api.targets.models import Comparison, IndicatorFields, MilestoneFields


class IndicatorCreate(IndicatorFields):
    """A new quantitative indicator of an item (量化指标): a target with its unit and date."""

    model_config = SQLModelConfig(extra="forbid")


class IndicatorPublic(IndicatorFields):
    """A quantitative indicator of an item (量化指标)."""

    id: int
    item_id: int
    version: int


class MilestoneCreate(MilestoneFields):
    """A new milestone of an item (节点): a dated step on the way."""

    model_config = SQLModelConfig(extra="forbid")


class MilestoneUpdate(TasksModel):
    """Changes to a milestone; fields left out stay as they are."""

    model_config = SQLModelConfig(extra="forbid")
    title: str | None = Field(None, min_length=1, max_length=300)
    done: bool | None = Field(None, description="Mark done (true) or reopen (false).")


class MilestonePublic(MilestoneFields):
    """A milestone of an item (节点)."""

    id: int
    item_id: int
    original_due_on: date | None
    done_at: datetime | None
    version: int


class IndicatorUpdate(TasksModel):
    """The fields of an indicator that may change; its key stays, as plan files match indicators by it."""

    model_config = SQLModelConfig(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200)
    measure: str | None = Field(None, max_length=40)
    baseline: float | None = None
    target: float | None = Field(None, description="The value to reach by the target date (目标值).")
    comparison: Comparison | None = None
    target_date: date | None = None
    yearly_targets: dict[int, float] | None = None


class ItemLeaderCreate(TasksModel):
    """Name a city leader as a lead leader of an item (牵头市领导)."""

    model_config = SQLModelConfig(extra="forbid")
    leader_id: int


class PlanItemLeader(BaseModel):
    """A lead leader of one item of a plan."""

    id: int
    item_id: int
    leader_id: int
    name: str
    title: str | None
    position: int


class ItemLeaderPublic(BaseModel):
    """A city leader leading an item (牵头领导), in printed order."""

    leader_id: int
    name: str
    title: str | None
    position: int
