"""What the units routes take and answer (pydantic, not tables)."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints
from sqlmodel import Field

from services.common.tables import SQLModelConfig
from services.tasks_api.db import TasksModel
from services.tasks_api.tables import UnitFields, UnitKind

Alias = Annotated[str, StringConstraints(max_length=100)]  # the width of unit_aliases.alias
PARENT = "The unit this one belongs to (上级单位): a township's county, a bureau's department; null: none."


class UnitCreate(UnitFields):
    """A new responsible unit (责任单位) with its other spellings."""

    model_config = SQLModelConfig(extra="forbid")
    aliases: list[Alias] = Field(default_factory=list, max_length=50, description="Other spellings (别称).")
    parent_id: int | None = Field(None, description=PARENT)


class UnitUpdate(TasksModel):
    """Changes to a unit; fields left out stay as they are."""

    model_config = SQLModelConfig(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: UnitKind | None = None
    contact_person: str | None = Field(None, max_length=100, description="Who to contact at the unit (联系人).")
    contact_phone: str | None = Field(None, max_length=50, description="The contact's phone number (联系电话).")
    contact_email: str | None = Field(None, max_length=254, description="The contact's e-mail address (联系邮箱).")
    aliases: list[Alias] | None = Field(
        None, max_length=50, description="Other spellings of the unit's name in documents (别名)."
    )
    parent_id: int | None = Field(None, description=PARENT)


class UnitPublic(UnitFields):
    """A responsible unit (责任单位)."""

    id: int
    aliases: list[str] = Field(description="Other spellings that resolve to this unit.")
    parent_id: int | None = Field(None, description=PARENT)
    version: int
