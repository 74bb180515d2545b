"""The plans' SQL: the plan record as a typed row."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from services.common.typed_records import TypedRecords
from services.tasks_api.tables import plan_records


class PlanRow(TypedDict):
    id: int
    key: str
    document_number: str
    title: str
    issuers: list[str]
    issued_on: date | None
    starts_on: date
    ends_on: date
    status: str
    summary: str
    general_requirements: str
    principles: list[str]
    version: int
    created_at: datetime
    updated_at: datetime


plan_rows = TypedRecords(plan_records, PlanRow)
