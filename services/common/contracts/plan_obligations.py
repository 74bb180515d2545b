"""The reports a plan's units owe in a window of due dates, as notify_api's dispatch reads them from reporting_api
(GET /v1/plans/{id}/obligations/columns), held as columns.

A dispatch reads every plan's obligations: a province's day is 200,000 rows. As pages of records they were 57 pages
of JSON that this side validated at 2.9 µs a row, into a dict each; sent as blocks of columns (services/common/
column_blocks.py) they are half the bytes, validated a slice of blocks at a time as they arrive, each field a list
(its ids arrays of machine integers), and a record made only where one is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.common.contracts.columns import Columns
from services.common.contracts.reporting import ReportingClient
from services.common.contracts.sliced import ChunkedDocument
from services.common.peer_records import PeerRecord


@dataclass(frozen=True, slots=True)
class Owed:
    """A report a unit owes (报送义务) on an item, for a period, due when, and where it stands (missing or draft,
    for a pending list). Its texts and dates are not shared as the parse makes them (plan_rows.Shared, SharedDate: a
    call of a validator per value, 6 a row, as long as validating the rows was): a reader that keeps them shares
    them itself (notify_api's deadlines.shared)."""

    responsibility_id: int
    item_id: int
    item_key: str | None
    item_number: str | None
    item_title: str | None
    unit_id: int
    unit_name: str
    role: str
    state: str
    period: str
    report_type: str
    due_on: date


class PlanObligations(PeerRecord):
    """The plan's obligations in the window, in (due_on, period, responsibility_id) order."""

    peer = "reporting_api"
    plan_id: int
    obligations: Columns[Owed]


def _obligations() -> ChunkedDocument[PlanObligations]:
    return ChunkedDocument(PlanObligations, ("obligations",))


async def plan_obligations(
    reporting: ReportingClient, plan_id: int, start: date, end: date, *, as_of: date, unit_id: int | None, pending: bool
) -> Columns[Owed]:
    """The reports owed with a due date in [start, end] as of a day (only those not submitted, given `pending`; of
    one unit, given `unit_id`). Asked every time (reports arrive all the time), with the ETag of the answer kept:
    answered 304, the very columns parsed before (callers must not change them)."""
    query = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "as_of": as_of.isoformat(),
        "unit_id": unit_id,
        "pending": "true" if pending else None,
    }
    path = f"/v1/plans/{plan_id}/obligations/columns"
    return (await reporting.http.get_parsed(path, _obligations, query, ask=True))[1].obligations
