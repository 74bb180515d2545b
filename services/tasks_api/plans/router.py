"""HTTP routes for plans: /v1/plans, import and export."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Annotated, Any, Literal

from fastapi import Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from services.common.auth import PrincipalDep, ServiceCaller, Staff
from services.common.etag import NOT_MODIFIED, IfMatch, IfNoneMatch, conditional_json, expected_version
from services.common.json import loads
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of
from services.common.problems import BadRequest, Unprocessable, UnsupportedMediaType, problem_responses
from services.common.routing import (
    GUARDED_WRITE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    api_router,
    created,
    current,
    links_to_created,
)
from services.common.wire_types import mistyped_fields
from services.tasks_api.deps import DatabaseDep
from services.tasks_api.plans import duties, service, structure
from services.tasks_api.plans.files.plan_file import PlanFile, dump_plan_file
from services.tasks_api.plans.files.validation import PlanFileError, parse_plan_file, validate_plan_data
from services.tasks_api.plans.schemas import ImportResult, PlanCreate, PlanPublic, PlanUpdate

router = api_router("plans")

PlanDocument = Callable[..., Awaitable[bytes | memoryview]]  # (db, plan_id=) → the document's JSON
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")


@router.get("/plans", summary="List plans")
async def list_plans(
    request: Request, response: Response, db: DatabaseDep, _: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[PlanPublic]:
    return page_of(
        Page[PlanPublic],
        await service.list_plans(db, after_id=decode_id_cursor(cursor), limit=limit),
        limit,
        request,
        response,
    )


@router.post(
    "/plans",
    summary="Register a plan (立项)",
    status_code=201,
    responses={
        **WRITE_ERRORS,
        **links_to_created("plan_id", read=("get_plan",), guarded=("update_plan", "delete_plan")),
    },
)
async def create_plan(data: PlanCreate, response: Response, db: DatabaseDep, principal: Staff) -> PlanPublic:
    plan = await service.create_plan(db, data=data, actor=principal)
    return created(response, PlanPublic, plan, f"/v1/plans/{plan['id']}")


@router.get("/plans/{plan_id}", summary="Read a plan", responses=READ_ERRORS)
async def get_plan(plan_id: int, response: Response, db: DatabaseDep, _: PrincipalDep) -> PlanPublic:
    return current(response, PlanPublic, await service.get_plan(db, plan_id=plan_id))


def _plan_document(
    name: str, path: str, summary: str, module: ModuleType, build: PlanDocument, model: type[BaseModel], **more: Any
) -> None:
    """A GET of a plan's document for the services, its JSON built by `build` of `module` (whose docstring describes
    it), with a digest ETag and 304 (structure and duties, as records or as columns)."""

    async def read(plan_id: int, db: DatabaseDep, _: ServiceCaller, if_none_match: IfNoneMatch = None) -> Response:
        return conditional_json(await build(db, plan_id=plan_id), if_none_match)

    router.get(
        f"/plans/{{plan_id}}/{path}",
        name=name,
        summary=summary,
        description=module.__doc__,
        response_model=model,
        responses={**READ_ERRORS, **NOT_MODIFIED},
        **more,
    )(read)


_plan_document(
    "get_plan_structure",
    "structure",
    "A plan's items, assignments and indicators in one answer, for the services",
    structure,
    structure.plan_structure,
    structure.PlanStructure,
)
_plan_document(
    "get_plan_duties",
    "duties",
    "A plan's items and responsibilities as its report obligations read them, for the services",
    duties,
    duties.plan_duties,
    duties.PlanDuties,
    deprecated=True,  # the services read the columns below: half the bytes, a third of the parse
)
_plan_document(
    "get_plan_duty_columns",
    "duties/columns",
    "A plan's items and responsibilities as its report obligations read them, as columns, for the services",
    duties,
    duties.plan_duty_columns,
    duties.PlanDutyColumns,
)


@router.patch("/plans/{plan_id}", summary="Change a plan", responses=GUARDED_WRITE_ERRORS)
async def update_plan(
    plan_id: int, data: PlanUpdate, response: Response, db: DatabaseDep, principal: Staff, if_match: IfMatch = None
) -> PlanPublic:
    plan = await service.update_plan(
        db, plan_id=plan_id, data=data, version=expected_version(if_match), actor=principal
    )
    return current(response, PlanPublic, plan)


@router.delete(
    "/plans/{plan_id}", summary="Delete a plan with its items", status_code=204, responses=GUARDED_WRITE_ERRORS
)
async def delete_plan(plan_id: int, db: DatabaseDep, principal: Staff, if_match: IfMatch = None) -> Response:
    await service.delete_plan(db, plan_id=plan_id, version=expected_version(if_match), actor=principal)
    return Response(status_code=204)


# The plan file in either form. A YAML body's schema is that of the data it holds (OpenAPI describes a media type by
# its parsed value), the same PlanFile as JSON's; until 4.0.0 the contract said "a string", which a YAML document is
# not once read, so a client or fuzzer taking the contract at its word checked the export's YAML against a string.
PLAN_FILE = {"$ref": "#/components/schemas/PlanFile"}
_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": PLAN_FILE}, "application/yaml": {"schema": PLAN_FILE}},
    }
}


@router.post(
    "/plans/import",
    summary="Import a plan file (YAML or JSON); idempotent",
    openapi_extra=_IMPORT_BODY,
    responses={**WRITE_ERRORS, **problem_responses(415)},
)
async def import_plan(request: Request, db: DatabaseDep, principal: Staff) -> ImportResult:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    try:
        if media_type in YAML_TYPES:
            plan_file = await run_in_threadpool(parse_plan_file, body)  # bounded, but seconds of CPU at most
        elif media_type == "application/json":
            plan_file = validate_plan_data(_json(body))
        else:
            raise UnsupportedMediaType("Send the plan file as application/json or application/yaml.")
    except PlanFileError as exc:
        refusal = BadRequest if exc.kind == "duplicate_key" else Unprocessable  # ambiguous, as JSON's duplicate is
        raise refusal(
            str(exc),
            errors=[
                {"location": [e["location"]], "message": e["message"], "type": exc.kind, "line": e["line"]}
                for e in exc.errors
            ],
        ) from exc
    plan_id, counts = await service.import_plan(db, plan_file=plan_file, actor=principal.subject)
    return ImportResult(plan_id=plan_id, counts=counts)


def _json(body: bytes) -> Any:
    try:
        data = loads(body)
    except ValueError as exc:
        raise Unprocessable(f"The body is not valid JSON: {exc}.") from exc
    try:
        errors = mistyped_fields(PlanFile, data, ("body",))
    except RecursionError as exc:  # the walk follows the items' children; a hostile file nests them far down
        raise Unprocessable("The plan file is nested too deeply.") from exc
    if errors:
        raise RequestValidationError(errors)  # e.g. a due date sent as a number: YAML dates are fine, JSON's are text
    return data


@router.get(
    "/plans/{plan_id}/export",
    summary="Export a plan as a plan file",
    responses={**READ_ERRORS, 200: {"content": {"application/yaml": {"schema": PLAN_FILE}}}},
)
async def export_plan(
    plan_id: int,
    db: DatabaseDep,
    _: PrincipalDep,
    format: Annotated[Literal["json", "yaml"], Query(description="json or yaml")] = "json",
) -> PlanFile:
    plan_file = await service.export_plan_file(db, plan_id=plan_id)
    if format == "yaml":
        return Response(dump_plan_file(plan_file), media_type="application/yaml; charset=utf-8")  # type: ignore[return-value]
    return plan_file
