"""HTTP routes for the ledger export (台账): xlsx and CSV downloads of a plan's period."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import FileResponse, StreamingResponse

from services.common.auth import PrincipalDep
from services.common.csv_stream import CSV_MEDIA_TYPE, UTF8_BOM
from services.common.documents import attachment
from services.common.identifiers import PERIOD_PATTERN
from services.common.json import JsonObject
from services.common.problems import problem_responses
from services.common.routing import READ_ERRORS, api_router
from services.reporting_api.deps import DatabaseDep, SettingsDep, TasksDep
from services.reporting_api.ledger import service
from services.reporting_api.ledger.export import Exporter, Format, export
from services.reporting_api.ledger.writers import XLSX_MEDIA_TYPE
from services.reporting_api.settings import ReportingSettings

router = api_router("ledger")
ERRORS = {**READ_ERRORS, **problem_responses(413, 503)}
Period = Annotated[str, Query(pattern=PERIOD_PATTERN, description="The reporting period: 2024, 2024-H1 or 2024-Q1.")]
UnitFilter = Annotated[int | None, Query(description="Only this unit's rows; a unit token gets only its own.")]


# The example: the ledger of a period that owes no report, its header row alone.
CSV_EXAMPLE = UTF8_BOM + ",".join(service.HEADERS) + "\r\n"
# The documented 200 of each download: a binary body of its media type (FastAPI's `responses` are OpenAPI fragments).
BINARY: JsonObject = {"schema": {"type": "string", "format": "binary"}}
XLSX_RESPONSES: dict[int | str, JsonObject] = {
    200: {"description": "The ledger workbook, one sheet.", "content": {XLSX_MEDIA_TYPE: BINARY}},
    **ERRORS,
}
CSV_RESPONSES: dict[int | str, JsonObject] = {
    200: {
        "description": "The ledger as CSV (UTF-8), streamed.",
        "content": {"text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE}},
    },
    **ERRORS,
}


async def _download_of(exporter: Exporter, settings: ReportingSettings, kind: Format, **ask: Any) -> StreamingResponse:
    """The export as its job writes it (ledger/export.py)."""
    names, body = await export(exporter, settings, kind=kind, **ask)
    ascii_name, name = names
    return StreamingResponse(
        body,
        media_type=XLSX_MEDIA_TYPE if kind == "xlsx" else CSV_MEDIA_TYPE,
        headers={"Content-Disposition": attachment(f"{ascii_name}.{kind}", f"{name}.{kind}")},
    )


@router.get(
    "/plans/{plan_id}/ledger.xlsx",
    summary="Download the period's ledger (台账) as an Excel workbook",
    description=service.LEDGER_RULE,
    response_class=FileResponse,
    responses=XLSX_RESPONSES,
)
async def export_ledger_xlsx(
    plan_id: int,
    period: Period,
    db: DatabaseDep,
    tasks: TasksDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    unit_id: UnitFilter = None,
) -> StreamingResponse:
    unit_id = principal.scoped_unit(unit_id)
    return await _download_of(Exporter(db, tasks), settings, "xlsx", plan_id=plan_id, period=period, unit_id=unit_id)


@router.get(
    "/plans/{plan_id}/ledger.csv",
    summary="Download the period's ledger (台账) as CSV",
    description=service.LEDGER_RULE + "\n\nUTF-8 with a byte order mark (for Excel), RFC 4180 quoting; "
    "text that a spreadsheet would run as a formula is prefixed with an apostrophe.",
    response_class=StreamingResponse,
    responses=CSV_RESPONSES,
)
async def export_ledger_csv(
    plan_id: int,
    period: Period,
    db: DatabaseDep,
    tasks: TasksDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    unit_id: UnitFilter = None,
) -> StreamingResponse:
    unit_id = principal.scoped_unit(unit_id)
    return await _download_of(Exporter(db, tasks), settings, "csv", plan_id=plan_id, period=period, unit_id=unit_id)
