"""What the delegation routes take and answer (pydantic, not tables)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from services.common.tables import SQLModelConfig
from services.tasks_api.delegations.models import DelegationFields, DelegationStatus


class DelegationCreate(DelegationFields):
    """A unit passes part of an item down to one of its own sub-units (转办)."""

    model_config = SQLModelConfig(extra="forbid")
    to_unit_id: int = Field(description="The sub-unit that is to do it: a unit whose parent_id is the caller's unit.")


class DelegationPublic(DelegationFields):
    """A delegation (转办) of part of an item from a unit to one of its sub-units, and where it stands."""

    id: int
    item_id: int
    parent_delegation_id: int | None = Field(
        description="The delegation the delegating unit itself received on the item; null: it is responsible."
    )
    from_unit_id: int = Field(description="The delegating unit, which reviews the delegate's reports on the item.")
    from_unit_name: str = Field(description="The delegating unit's name (转办单位).")
    to_unit_id: int = Field(description="The delegate (承办单位).")
    to_unit_name: str = Field(description="The delegate's name (承办单位).")
    status: DelegationStatus
    delegated_by: str = Field(description="Who delegated it.")
    delegated_at: datetime = Field(description="When it was delegated.")
    acknowledged_by: str | None
    acknowledged_at: datetime | None = Field(description="When the delegate acknowledged it (签收).")
    withdrawn_by: str | None = Field(description="Who withdrew it (撤回); null while it stands.")
    withdrawn_at: datetime | None = Field(description="When it was withdrawn; null while it stands.")
    version: int
