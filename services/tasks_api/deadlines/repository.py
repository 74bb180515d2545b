"""The deadlines' rows: extension requests as stored, and the calendar's deadlines, typed."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from services.common.records import Records
from services.common.tables import table_of
from services.common.typed_records import TypedRecords
from services.tasks_api.db import change_log
from services.tasks_api.deadlines.models import ExtensionRequest

extensions = table_of(ExtensionRequest)


class ExtensionRow(TypedDict):
    id: int
    item_id: int
    milestone_id: int | None
    unit_id: int | None
    requested_due_on: date
    reason: str
    previous_due_on: date | None
    status: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_comment: str | None
    version: int


class UnitRoleRow(TypedDict):
    """A responsible unit of a deadline's item and its role (UnitRole)."""

    unit_id: int
    unit_name: str
    role: str


class DeadlineRow(TypedDict):
    """Something due on a day (Deadline): a milestone, an item's due date or an indicator's target date."""

    kind: str
    id: int
    item_id: int
    plan_id: int
    item_key: str
    item_number: str
    title: str
    due_on: date
    original_due_on: date | None
    units: list[UnitRoleRow]


extension_rows = TypedRecords(Records(extensions, "extension", change_log), ExtensionRow)
