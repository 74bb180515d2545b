"""The typed client of reporting_api (openapi/reporting_api.json), for notify_api.

notify_api reads the reports owed in a window of due dates (GET /v1/plans/{id}/obligations: one row per
responsibility and owed period, with the state of its report), so that it reminds only the units that have
not reported (催办), once per unit and due date. The calendar (periods with due dates) and a period's
compliance are there too. Unknown fields are ignored, as in contracts/tasks.py.
"""

from __future__ import annotations

from datetime import date

from typing_extensions import TypedDict  # pydantic validates typing.TypedDict only from Python 3.12

from services.common.http import ServiceClient
from services.common.peer_records import PeerRecord, PeerRows

# States of a pair whose report has not reached the office: these are the ones to remind.
NOT_REPORTED = ("missing", "draft")


class _Record(PeerRecord):
    peer = "reporting_api"


class Period(_Record):
    id: str
    kind: str
    starts_on: date
    ends_on: date
    due_on: date
    official_calendar: bool = True
    closed: bool = False


class CompliancePair(_Record):
    responsibility_id: int
    item_id: int
    item_key: str | None
    item_number: str | None
    item_title: str | None
    unit_id: int
    unit_name: str
    role: str
    state: str
    report_id: int | None
    late: bool
    days_late: int
    overdue: bool

    @property
    def reported(self) -> bool:
        return self.state not in NOT_REPORTED


class InstructionDutyRow(TypedDict):
    """An open leader instruction (领导批示) its lead unit must answer by a date: a duty notify_api reminds of."""

    id: int
    plan_id: int
    item_id: int
    item_number: str
    item_title: str
    lead_unit_id: int
    lead_unit_name: str
    author_name: str
    author_title: str
    answer_by: date


INSTRUCTION_DUTY_ROWS = PeerRows(InstructionDutyRow, peer="reporting_api")


class Compliance(_Record):
    plan_id: int
    period: str
    due_on: date
    as_of: date
    data: list[CompliancePair]


class ReportingClient:
    """What notify_api asks of reporting_api."""

    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def periods(self, plan_id: int, kind: str | None = None) -> list[Period]:
        body = await self.http.get(f"/v1/plans/{plan_id}/periods", {"kind": kind})
        return [Period.model_validate(r) for r in body["data"]]

    async def compliance(
        self,
        plan_id: int,
        period: str,
        *,
        as_of: date | None = None,
        unit_id: int | None = None,
        state: str | None = None,
    ) -> Compliance:
        """Every pair of the period (as of a day), all pages; never cached, since reports arrive all the time."""
        query = {
            "period": period,
            "as_of": as_of.isoformat() if as_of else None,
            "unit_id": unit_id,
            "state": state,
            "limit": 500,
        }
        page = await self.http.get(f"/v1/plans/{plan_id}/compliance", query, cache=False)
        rows = list(page["data"])
        while page.get("next_cursor"):
            page = await self.http.get(
                f"/v1/plans/{plan_id}/compliance", {**query, "cursor": page["next_cursor"]}, cache=False
            )
            rows += page["data"]
        return Compliance.model_validate({**page, "data": rows})

    async def instruction_duties(
        self, start: date, end: date, *, unit_id: int | None = None, plan_id: int | None = None
    ) -> list[InstructionDutyRow]:
        """The open instructions to answer by a date in [start, end] (of one plan; led by one unit), all pages. Never
        cached: answers arrive all the time. The one source of instruction reminders: the `instructions` of a plan's
        obligations list the same duties and are not read (obligations() keeps the reports' rows only)."""
        query = {
            "open": "true",
            "answer_from": start.isoformat(),
            "answer_to": end.isoformat(),
            "plan_id": plan_id,
            "limit": 500,
        }
        rows = await self.http.get_all("/v1/instructions", query, cache=False)
        duties = INSTRUCTION_DUTY_ROWS.validate(rows)
        return [d for d in duties if unit_id is None or d["lead_unit_id"] == unit_id]
