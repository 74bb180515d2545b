"""What the leaders and groups routes take and answer (pydantic, not tables)."""

from __future__ import annotations

from sqlmodel import Field

from services.common.tables import SQLModelConfig
from services.tasks_api.db import TasksModel
from services.tasks_api.people.models import GroupFields, GroupKind, MemberFields
from services.tasks_api.tables import LeaderFields


class LeaderCreate(LeaderFields):
    """A new leader (领导) with their title."""

    model_config = SQLModelConfig(extra="forbid")


class LeaderUpdate(TasksModel):
    """Changes to a leader; fields left out stay as they are."""

    model_config = SQLModelConfig(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=50)
    title: str | None = Field(None, max_length=200)
    unit_id: int | None = None


class LeaderPublic(LeaderFields):
    """A leader (领导)."""

    id: int
    version: int


class GroupCreate(GroupFields):
    """A new group of a plan: the leading group, its office or a thematic group (工作组)."""

    model_config = SQLModelConfig(extra="forbid")
    plan_id: int


class GroupUpdate(TasksModel):
    """Changes to a group; fields left out stay as they are."""

    model_config = SQLModelConfig(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: GroupKind | None = None
    unit_id: int | None = None


class GroupPublic(GroupFields):
    """A group of a plan (工作组)."""

    id: int
    plan_id: int
    version: int


class MemberCreate(MemberFields):
    """Seat a leader in a group with a role (组长, 副组长, 成员 …)."""

    model_config = SQLModelConfig(extra="forbid")


class MemberPublic(MemberFields):
    id: int
    group_id: int
    position: int
    leader_name: str
