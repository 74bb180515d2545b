"""Groups and their members (the leaders table, which items reads, is in tasks_api/tables.py)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from services.tasks_api.db import KEY_PATTERN, Stamped, TasksModel


class GroupKind(StrEnum):
    """Kind of group (工作组类别): the leading group (领导小组), its office (办公室) or a thematic group (专题组)."""

    LEADING = "leading"  # 领导小组
    OFFICE = "office"  # 领导小组办公室
    THEMATIC = "thematic"  # 专题合作组


class GroupFields(TasksModel):
    key: str = Field(
        min_length=1, max_length=64, schema_extra={"pattern": KEY_PATTERN}, description="Stable external id."
    )
    name: str = Field(min_length=1, max_length=200, description="名称")
    kind: GroupKind = Field(sa_type=String(20))
    unit_id: int | None = Field(None, description="The unit the group sits at (e.g. the office at 市发改委).")


class Group(GroupFields, Stamped, table=True):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plans.id", index=True, ondelete="CASCADE")
    unit_id: int | None = Field(None, foreign_key="units.id", ondelete="SET NULL")


class MemberFields(TasksModel):
    leader_id: int
    role: str = Field(
        min_length=1, max_length=50, description="组长, 第一副组长, 副组长, 牵头市领导, 成员, 办公室主任 …"
    )


class GroupMember(MemberFields, TasksModel, table=True):
    __tablename__ = "group_members"
    __table_args__ = (UniqueConstraint("group_id", "leader_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", index=True, ondelete="CASCADE")
    leader_id: int = Field(foreign_key="leaders.id", index=True, ondelete="CASCADE")
    position: int = Field(0, description="Printed order within the group.")
