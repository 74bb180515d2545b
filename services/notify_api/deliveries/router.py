"""HTTP routes of the notification outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query, Request, Response

from services.common.auth import PrincipalDep, Staff
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_response
from services.common.routing import READ_ERRORS, WRITE_ERRORS, api_router
from services.notify_api.contacts.models import Channel
from services.notify_api.deliveries import service
from services.notify_api.deliveries.clock import from_user
from services.notify_api.deliveries.models import Status
from services.notify_api.deliveries.schemas import NotificationDetail, NotificationPublic
from services.notify_api.deps import DatabaseDep

router = api_router("deliveries")


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
