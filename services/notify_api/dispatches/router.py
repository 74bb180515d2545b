"""HTTP routes of dispatch runs (tagged with the outbox's, as the contract has always listed them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Response

from services.common import clock
from services.common.auth import Principal, PrincipalDep, Role, require_roles
from services.common.field_errors import field_error
from services.common.problems import Unprocessable, problem_responses
from services.common.routing import READ_ERRORS, WRITE_ERRORS, api_router
from services.notify_api.deliveries.clock import from_user, now_utc
from services.notify_api.deps import DatabaseDep, ReportingDep, SettingsDep, TasksDep
from services.notify_api.dispatches import queue, service
from services.notify_api.dispatches.schemas import DispatchCreate, DispatchPublic

router = api_router("deliveries")

LOOK_AHEAD = timedelta(days=1)
# Scheduled jobs (service tokens) and the office start dispatches.
Dispatcher = Annotated[Principal, Depends(require_roles(Role.OFFICE, Role.SERVICE))]


@router.post(
    "/dispatches",
    summary="Run a dispatch: plan what is due as of a moment, then deliver",
    status_code=201,
    responses={
        **WRITE_ERRORS,
        **problem_responses(503),
        200: {"description": "A dispatch with this as_of ran already; its record."},
    },
)
async def create_dispatch(
    response: Response,
    db: DatabaseDep,
    settings: SettingsDep,
    tasks: TasksDep,
    reporting: ReportingDep,
    principal: Dispatcher,
    data: DispatchCreate | None = None,
) -> DispatchPublic:
    as_of = from_user(data.as_of) if data and data.as_of else None
    if as_of is not None and as_of > clock.now() + LOOK_AHEAD:
        # Delivery sends what is due by as_of: a far future as_of would send every pending reminder at once.
        raise Unprocessable(
            f"body.as_of: a dispatch may look ahead at most one day; {as_of.isoformat()} is later.",
            errors=[field_error(("body", "as_of"), "more than one day ahead", "look_ahead")],
        )
    dispatcher = queue.Dispatcher(db, settings, tasks, reporting)
    dispatch, ran = await queue.dispatch(dispatcher, as_of=as_of or now_utc(), actor=principal.subject)
    response.headers["Location"] = f"/v1/dispatches/{dispatch['id']}"
    response.status_code = 201 if ran else 200
    return DispatchPublic.model_validate(dispatch)


@router.get("/dispatches/{dispatch_id}", summary="Read a dispatch run and its counts", responses=READ_ERRORS)
async def get_dispatch(dispatch_id: int, db: DatabaseDep, _: PrincipalDep) -> DispatchPublic:
    return DispatchPublic.model_validate(await service.get_dispatch(db, dispatch_id=dispatch_id))
