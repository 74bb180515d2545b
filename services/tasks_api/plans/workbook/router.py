"""HTTP routes for the Excel task breakdown table (任务分解表)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Annotated

from fastapi import Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from services.common.auth import PrincipalDep, Staff
from services.common.problems import UnsupportedMediaType, problem_responses
from services.common.routing import GUARDED_WRITE_ERRORS, READ_ERRORS, api_router
from services.tasks_api.deps import DatabaseDep
from services.tasks_api.plans.workbook import breakdown
from services.tasks_api.plans.workbook.breakdown_diff import BreakdownResult

router = api_router("breakdown")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_XLSX_CONTENT = {XLSX: {"schema": {"type": "string", "format": "binary"}}}
_SHEETS = (
    "Sheets 事项 (编号, 上级编号, 类型, 序号, 标题, 内容, 状态, 开始日期, 完成时限), "
    "责任分工 (事项编号, 责任单位, 角色, 顺序), "
    "指标 (指标编号, 事项编号, 名称, 计量单位, 基期值, 目标值, 比较, 目标日期, 年度目标) and "
    "节点 (事项编号, 节点名称, 完成时限), headers in row 1."
)


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    with file:
        while chunk := file.read(64 * 1024):
            yield chunk


@router.get(
    "/plans/{plan_id}/breakdown.xlsx",
    summary="Download the task breakdown table (任务分解表) as Excel",
    description=_SHEETS + " The workbook records the version of the plan it shows (also its ETag) in its "
    "custom document property duban-breakdown-version; uploading it back applies only onto that version.",
    response_class=Response,
    responses={
        **READ_ERRORS,
        **problem_responses(413),
        200: {
            "description": "The workbook.",
            "content": _XLSX_CONTENT,
            "headers": {"ETag": {"description": "The breakdown's version.", "schema": {"type": "string"}}},
        },
    },
)
async def download_plan_breakdown(plan_id: int, db: DatabaseDep, _: PrincipalDep) -> Response:
    plan_key, version, workbook = await breakdown.breakdown_workbook(db, plan_id=plan_id)
    return StreamingResponse(
        _chunks(workbook),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{plan_key}-breakdown.xlsx"',
            "ETag": breakdown.etag(version),
        },
    )


_UPLOAD = (
    " Rows are matched by their keys: changed rows are updated, new rows added; the units, indicators and "
    "milestones of an item listed on 事项 become exactly those of the workbook. Any invalid row (errors name "
    "sheet, row and column) and nothing is applied. The upload applies only onto the version the workbook was "
    "exported from (its duban-breakdown-version property, and If-Match where sent): 412 when the plan changed "
    "since, 428 when neither says a version (a hand-made workbook needs If-Match). An upload that would remove "
    "a responsibility, indicator or milestone is refused (409, listing them) unless confirm_removals=true. "
    "The response lists what was added, changed and removed; with dry_run=true nothing is written."
)


@router.put(
    "/plans/{plan_id}/breakdown",
    summary="Apply an edited task breakdown table (任务分解表)",
    description=_SHEETS + _UPLOAD,
    openapi_extra={"requestBody": {"required": True, "content": _XLSX_CONTENT}},
    responses={**GUARDED_WRITE_ERRORS, **problem_responses(413, 415)},
)
async def upload_plan_breakdown(
    plan_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    principal: Staff,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description=(
                "The ETag of the breakdown the workbook was made from (or *); needed for a workbook that does not "
                "record its version."
            ),
        ),
    ] = None,
    dry_run: Annotated[bool, Query(description="Return the diff without writing anything.")] = False,
    confirm_removals: Annotated[
        bool,
        Query(description="Allow the upload to remove the responsibilities, indicators and milestones it leaves out."),
    ] = False,
) -> BreakdownResult:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != XLSX:
        raise UnsupportedMediaType(f"Send the workbook as {XLSX}.")
    result = await breakdown.apply_breakdown(
        db,
        plan_id=plan_id,
        content=await request.body(),
        actor=principal.subject,
        upload=breakdown.Upload(if_match=if_match, dry_run=dry_run, confirm_removals=confirm_removals),
    )
    response.headers["ETag"] = breakdown.etag(result.version)
    return result
