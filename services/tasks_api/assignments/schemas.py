"""What the assignments routes answer (pydantic, not tables)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from services.tasks_api.items.models import Role


class AssignmentPublic(BaseModel):
    """One assignment of an item to a unit (交办), as a unit's or a plan's to-do list shows it."""

    id: int
    item_id: int
    plan_id: int
    item_key: str
    item_number: str
    item_title: str
    unit_id: int
    unit_name: str
    role: Role
    assigned_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
