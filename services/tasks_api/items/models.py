"""The tables of items (事项), their responsibilities (责任分工) and lead leaders (牵头领导); targets/ has the rest."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Index, String, Text, UniqueConstraint
from sqlmodel import Field

from services.common.search_index import Indexed, search_table
from services.tasks_api.db import Stamped, TasksModel, metadata


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


class ItemLeader(TasksModel, table=True):
    """A city leader leading an item (牵头领导), as for the special actions."""

    __tablename__ = "item_leaders"
    __table_args__ = (UniqueConstraint("item_id", "leader_id"),)
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="items.id", index=True, ondelete="CASCADE")
    leader_id: int = Field(foreign_key="leaders.id", index=True, ondelete="CASCADE")
    position: int = 0


# The words of each item's title, text and number (检索, services/common/search_index.py), read in this order.
item_index = Indexed(search_table(metadata, "item_search", "items"), ("title", "text", "number"))
