"""HTTP routes for the Excel task breakdown table (任务分解表)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from services.common.auth import CurrentPrincipal, Staff
from services.common.problems import UnsupportedMediaType, problem_responses
from services.common.routing import READ_ERRORS, WRITE_ERRORS, api_router
from services.tasks_api.db import DatabaseDep
from services.tasks_api.plans import breakdown
from services.tasks_api.schemas import ImportResult

router = api_router("breakdown")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_XLSX_CONTENT = {XLSX: {"schema": {"type": "string", "format": "binary"}}}
_SHEETS = ("Sheets 事项 (编号, 上级编号, 类型, 序号, 标题, 内容, 状态, 开始日期, 完成时限), "
           "责任分工 (事项编号, 责任单位, 角色, 顺序), "
           "指标 (指标编号, 事项编号, 名称, 计量单位, 基期值, 目标值, 比较, 目标日期, 年度目标) and "
           "节点 (事项编号, 节点名称, 完成时限), headers in row 1.")


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    with file:
        while chunk := file.read(64 * 1024):
            yield chunk


@router.get("/plans/{plan_id}/breakdown.xlsx", summary="Download the task breakdown table (任务分解表) as Excel",
            description=_SHEETS, response_class=Response,
            responses={**READ_ERRORS, **problem_responses(413),
                       200: {"description": "The workbook.", "content": _XLSX_CONTENT}})
async def download_plan_breakdown(plan_id: int, db: DatabaseDep, _: CurrentPrincipal) -> Response:
    plan_key, workbook = await breakdown.breakdown_workbook(db, plan_id=plan_id)
    return StreamingResponse(_chunks(workbook), media_type=XLSX,
                             headers={"Content-Disposition": f'attachment; filename="{plan_key}-breakdown.xlsx"'})


@router.put("/plans/{plan_id}/breakdown", summary="Apply an edited task breakdown table (任务分解表)",
            description=_SHEETS + " Rows are matched by their keys: changed rows are updated, new rows added; "
            "the units, indicators and milestones of an item listed on 事项 become exactly those of the workbook. "
            "Any invalid row (errors name sheet, row and column) and nothing is applied.",
            openapi_extra={"requestBody": {"required": True, "content": _XLSX_CONTENT}},
            responses={**WRITE_ERRORS, **problem_responses(413, 415)})
async def upload_plan_breakdown(plan_id: int, request: Request, db: DatabaseDep, principal: Staff) -> ImportResult:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != XLSX:
        raise UnsupportedMediaType(f"Send the workbook as {XLSX}.")
    plan_id, counts = await breakdown.apply_breakdown(db, plan_id=plan_id, content=await request.body(),
                                                      actor=principal.subject)
    return ImportResult(plan_id=plan_id, counts=counts)
