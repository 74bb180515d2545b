"""The plans' SQL: the plan record as a typed row."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypedDict

from services.common.records import Records
from services.common.tables import table_of
from services.common.typed_records import TypedRecords
from services.tasks_api.db import change_log
from services.tasks_api.plans.models import Plan

plan_records: Records[dict[str, Any]] = Records(table_of(Plan), "plan", change_log)


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
