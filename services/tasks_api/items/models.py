"""Items (事项), responsibilities (责任分工), lead leaders, indicators (指标) and milestones (节点)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from sqlalchemy import JSON, DateTime, Index, String, Text, UniqueConstraint
from sqlmodel import Field

from services.common.tables import SQLModelConfig
from services.tasks_api.db import KEY_PATTERN, Stamped, TasksModel


class ItemKind(StrEnum):
    """Kind of item (条目类别): goal (目标), section (板块), task (重点任务), platform (支撑平台), safeguard (保障措施), annex (附件), key
    work (重点工作) or special action (专项行动)."""  # noqa: E501 - the contract's description (openapi/): a rewrap changes it

    GOAL = "goal"  # 目标
    SECTION = "section"  # 重点任务板块
    TASK = "task"  # 重点任务
    PLATFORM = "platform"  # 重点支撑平台
    SAFEGUARD = "safeguard"  # 保障措施
    ANNEX = "annex"  # 附件 (holds key works or special actions)
    KEY_WORK = "key_work"  # 重点工作
    SPECIAL_ACTION = "special_action"  # 专项行动


class ItemStatus(StrEnum):
    """Whether an item is still being worked on (办理状态): open, closed (办结销号, after the office approved its
    close-out) or cancelled (撤销, an office decision). Progress (not started, in progress, completed) is derived
    from accepted reports in reporting_api (`progress_status`)."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


OfficeStatus = Literal[ItemStatus.OPEN, ItemStatus.CANCELLED]


class ItemFields(TasksModel):
    kind: ItemKind = Field(sa_type=String(20))
    number: str = Field("", max_length=40, description="编号, as printed: （一）, 9, 附件2 …")
    title: str = Field(min_length=1, max_length=500, description="标题")
    text: str = Field("", max_length=20000, sa_type=Text, description="Full text (具体内容).")
    starts_on: date | None = None
    due_on: date | None = Field(None, description="Current due date (完成时限).")


class ItemState(TasksModel):
    """Where an item stands; only the close-out workflow (and the office cancelling an item) changes it."""

    status: ItemStatus = Field(ItemStatus.OPEN, sa_type=String(20))
    closed_on: date | None = Field(
        None,
        description="The Beijing business day the close-out was approved (办结日期); "
        "null while open. Nothing is owed for due dates after it.",
    )
    closeout_request_id: int | None = Field(
        None,
        description="The close-out request awaiting the office's decision (待审销号申请); null when none is pending.",
    )
    reopen_reason: str | None = Field(
        None,
        max_length=2000,
        description="Why the office last reopened the item (重新打开理由); null if never reopened.",
    )


class Item(ItemFields, ItemState, Stamped, table=True):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("plan_id", "key"),
        Index("ix_items_plan_id_id", "plan_id", "id"),
        Index("ix_items_plan_parent", "plan_id", "parent_id", "position"),
        Index("ix_items_due", "due_on", "id"),  # the deadline calendar pages by due date
    )
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plans.id", ondelete="CASCADE")
    parent_id: int | None = Field(None, foreign_key="items.id", ondelete="CASCADE")
    key: str = Field(max_length=64, description="Stable external id within the plan, e.g. T9.")
    position: int = Field(0, description="Order among its siblings.")
    original_due_on: date | None = Field(None, description="The due date first assigned (原定时限).")


class ItemCreate(ItemFields):
    """A new item of a plan's tree (立项): a goal, section, task, platform, safeguard or annex entry."""

    model_config = SQLModelConfig(extra="forbid")
    key: str = Field(min_length=1, max_length=64, schema_extra={"pattern": KEY_PATTERN})
    parent_id: int | None = None
    position: int | None = Field(None, ge=0, description="Defaults to after the last sibling.")


class ItemUpdate(TasksModel):
    """Changes to an item; fields left out stay as they are."""

    model_config = SQLModelConfig(extra="forbid")
    number: str | None = Field(None, max_length=40)
    title: str | None = Field(None, min_length=1, max_length=500)
    text: str | None = Field(None, max_length=20000, description="The item's full text as printed (正文).")
    starts_on: date | None = None
    due_on: date | None = None
    status: OfficeStatus | None = Field(
        None,
        description="The office cancels an open item (cancelled) or restores "
        "a cancelled one (open); closing is 办结销号 (close-out).",
    )
    parent_id: int | None = None
    position: int | None = Field(None, ge=0)


class ItemPublic(ItemFields, ItemState):
    """An item of a plan's tree (任务条目)."""

    id: int
    plan_id: int
    parent_id: int | None
    key: str
    position: int
    original_due_on: date | None
    version: int


class Role(StrEnum):
    """A unit's role on an item: lead (牵头) or co-operating (配合)."""

    LEAD = "lead"  # 牵头单位
    CO = "co"  # 配合单位


class ResponsibilityStatus(StrEnum):
    """Whether a responsibility names a unit (assigned) or only a collective phrase the office must still turn into
    units (to_be_assigned, 待明确责任单位), like 市级有关部门."""

    ASSIGNED = "assigned"
    TO_BE_ASSIGNED = "to_be_assigned"


PRINTED_NAME = "The designation as the document prints it (原文表述), e.g. 市委组织部〔人才办〕 or 各县（市、区）."
GROUP = 'The printed group, counted from 1: the document separates groups of units with "，" (e.g. city departments, then counties).'  # noqa: E501 - one line: the module is at the 300-line limit


class ResponsibilityFields(TasksModel):
    unit_id: int
    role: Role = Field(sa_type=String(10), description="lead (牵头) or co (配合).")


class Responsibility(ResponsibilityFields, TasksModel, table=True):
    """An assignment (交办) of an item to a unit, with its acknowledgement (签收). Without a unit it is a collective
    placeholder (市级有关部门) the office must still assign: never a unit's duty, never expected to report."""

    __tablename__ = "responsibilities"
    __table_args__ = (UniqueConstraint("item_id", "unit_id"), Index("ix_responsibilities_unit", "unit_id", "item_id"))
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="items.id", index=True, ondelete="CASCADE")
    # Wider than the fields an assignment is created with: the table also holds the placeholders, without a unit.
    unit_id: int | None = Field(None, foreign_key="units.id", ondelete="CASCADE")  # type: ignore[assignment]
    position: int = Field(0, description="Printed order: the lead unit first.")
    printed_name: str | None = Field(None, max_length=100, description=PRINTED_NAME)
    group: int = Field(1, description=GROUP)
    assigned_at: datetime = Field(sa_type=DateTime(timezone=True))
    acknowledged_at: datetime | None = Field(None, sa_type=DateTime(timezone=True))
    acknowledged_by: str | None = Field(None, max_length=255)


class ResponsibilityCreate(ResponsibilityFields):
    """Assign an item to a unit (交办), as lead or co-operating unit."""

    model_config = SQLModelConfig(extra="forbid")
    position: int | None = Field(None, ge=0, description="Defaults to after the last unit.")
    printed_name: str | None = Field(
        None, min_length=1, max_length=100, description=PRINTED_NAME + " Defaults to the unit's name."
    )
    group: int = Field(1, ge=1, description=GROUP)


class PlaceholderAssignment(TasksModel):
    """Units that take over a collective placeholder (市级有关部门 → named departments), in order: the first takes the
    placeholder's role, the others co-operate; each keeps the printed phrase."""

    model_config = SQLModelConfig(extra="forbid")
    unit_ids: list[int] = Field(min_length=1, max_length=100, description="The units, in the order they take over.")


class ResponsibilityPublic(TasksModel):
    """A unit's responsibility for an item (责任分工), with its acknowledgement (签收); without a unit, a collective
    phrase of the document the office must still assign (status to_be_assigned)."""

    id: int
    item_id: int
    unit_id: int | None = Field(description="Null while the responsibility is a collective placeholder.")
    role: Role = Field(description="lead (牵头) or co (配合).")
    position: int
    unit_name: str | None = Field(description="The unit's current name; null for a placeholder.")
    printed_name: str = Field(description=PRINTED_NAME)
    group: int = Field(description=GROUP)
    status: ResponsibilityStatus
    assigned_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class AssignedResponsibility(ResponsibilityPublic):
    """A unit's responsibility for an item (责任分工): what assigning, acknowledging or taking over a placeholder
    returns, always with its unit."""

    unit_id: int
    unit_name: str


class ItemLeader(TasksModel, table=True):
    """A city leader leading an item (牵头领导), as for the special actions."""

    __tablename__ = "item_leaders"
    __table_args__ = (UniqueConstraint("item_id", "leader_id"),)
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="items.id", index=True, ondelete="CASCADE")
    leader_id: int = Field(foreign_key="leaders.id", index=True, ondelete="CASCADE")
    position: int = 0


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


class IndicatorCreate(IndicatorFields):
    """A new quantitative indicator of an item (量化指标): a target with its unit and date."""

    model_config = SQLModelConfig(extra="forbid")


class IndicatorPublic(IndicatorFields):
    """A quantitative indicator of an item (量化指标)."""

    id: int
    item_id: int
    version: int


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
