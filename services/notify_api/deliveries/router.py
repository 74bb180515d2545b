"""HTTP routes for dispatch runs and the notification outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from services.common import clock
from services.common.auth import Principal, PrincipalDep, Role, Staff, require_roles
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_response
from services.common.problems import Unprocessable, problem_responses
from services.common.routing import READ_ERRORS, WRITE_ERRORS, api_router
from services.notify_api.contacts.models import Channel
from services.notify_api.deliveries import service
from services.notify_api.deliveries.clock import from_user
from services.notify_api.deliveries.models import Status
from services.notify_api.deliveries.schemas import (
    DispatchCreate,
    DispatchPublic,
    NotificationDetail,
    NotificationPublic,
)
from services.notify_api.deps import DatabaseDep, ReportingDep, SettingsDep, TasksDep

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
            errors=[{"location": ["body", "as_of"], "message": "more than one day ahead", "type": "look_ahead"}],
        )
    dispatch, ran = await service.run_dispatch(
        db, settings, tasks=tasks, reporting=reporting, as_of=as_of, actor=principal.subject
    )
    response.headers["Location"] = f"/v1/dispatches/{dispatch['id']}"
    response.status_code = 201 if ran else 200
    return DispatchPublic.model_validate(dispatch)


@router.get("/dispatches/{dispatch_id}", summary="Read a dispatch run and its counts", responses=READ_ERRORS)
async def get_dispatch(dispatch_id: int, db: DatabaseDep, _: PrincipalDep) -> DispatchPublic:
    return DispatchPublic.model_validate(await service.get_dispatch(db, dispatch_id=dispatch_id))


@router.get(
    "/notifications", summary="List notifications (a unit sees only its own)", response_model=Page[NotificationPublic]
)
async def list_notifications(
    request: Request,
    db: DatabaseDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: Status | None = None,
    unit_id: Annotated[int | None, Query(description="Only notices about this unit.")] = None,
    channel: Channel | None = None,
    deadline_kind: Annotated[
        str | None, Query(max_length=20, description="milestone, item, indicator, report…")
    ] = None,
    deadline_id: Annotated[int | None, Query(description="With deadline_kind: one deadline's notices.")] = None,
    created_from: Annotated[
        datetime | None, Query(description="Created at or after (no offset: Beijing time).")
    ] = None,
    created_to: Annotated[datetime | None, Query(description="Created before (no offset: Beijing time).")] = None,
) -> Response:
    rows = await service.list_notifications(
        db,
        principal=principal,
        after_id=decode_id_cursor(cursor),
        limit=limit,
        status=status.value if status else None,
        unit_id=unit_id,
        channel=channel.value if channel else None,
        deadline_kind=deadline_kind,
        deadline_id=deadline_id,
        created_from=from_user(created_from) if created_from else None,
        created_to=from_user(created_to) if created_to else None,
    )
    return page_response(rows, limit, request)


@router.get(
    "/notifications/{notification_id}", summary="Read a notification with its delivery attempts", responses=READ_ERRORS
)
async def get_notification(notification_id: int, db: DatabaseDep, principal: PrincipalDep) -> NotificationDetail:
    return NotificationDetail.model_validate(
        await service.get_notification(db, notification_id=notification_id, principal=principal)
    )


@router.post(
    "/notifications/{notification_id}/retry", summary="Requeue a dead notification (重新投递)", responses=WRITE_ERRORS
)
async def retry_notification(notification_id: int, db: DatabaseDep, principal: Staff) -> NotificationPublic:
    return NotificationPublic.model_validate(
        await service.retry_notification(db, notification_id=notification_id, actor=principal)
    )


@router.post(
    "/notifications/{notification_id}/read", summary="Mark a notice read or acknowledged (已阅)", responses=WRITE_ERRORS
)
async def mark_notification_read(notification_id: int, db: DatabaseDep, principal: PrincipalDep) -> NotificationPublic:
    return NotificationPublic.model_validate(
        await service.mark_read(db, notification_id=notification_id, principal=principal)
    )
