"""The close-out requests' SQL, as typed rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from services.common.records import Records
from services.common.tables import table_of
from services.tasks_api.closeout.models import CloseoutRequest
from services.tasks_api.db import change_log

closeouts = table_of(CloseoutRequest)


class CloseoutRow(TypedDict):
    id: int
    item_id: int
    unit_id: int | None
    summary: str
    status: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    closed_on: date | None
    version: int


closeout_records: Records[CloseoutRow] = Records(closeouts, "closeout", change_log)
