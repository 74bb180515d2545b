"""HTTP routes for calendar feeds: a unit's feed tokens (bearer auth), and the feed itself (feed token only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from services.common import clock
from services.common.auth import PrincipalDep
from services.common.guards import reject_unknown_query_parameters
from services.common.openapi import FEED_TOKEN
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of
from services.common.problems import problem_responses
from services.common.routing import READ_ERRORS, api_router, created
from services.notify_api.calendars import service
from services.notify_api.deps import DatabaseDep, ReportingDep, SettingsDep, TasksDep

router = api_router("calendars")
# The feed is read by calendar clients, which cannot send a bearer token: the token in its URL is its only key.
feed_router = APIRouter(
    prefix="/v1",
    tags=["calendars"],
    dependencies=[Depends(reject_unknown_query_parameters)],
    responses=problem_responses(400, 422),
)

CALENDAR = "text/calendar; charset=utf-8"
_CALENDAR_EXAMPLE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//duban//notify_api//ZH\r\nBEGIN:VEVENT\r\n"
    "UID:item-12@duban\r\nDTSTART;VALUE=DATE:20260630\r\nSUMMARY:9 加快交通基础设施互联互通\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


class FeedTokenPublic(BaseModel):
    """A calendar feed token's record; the token itself is never shown again."""

    id: int
    unit_id: int
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = Field(description="Set once revoked; the feed URL no longer works.")


class FeedTokenCreated(FeedTokenPublic):
    """A new calendar feed token with the token and feed URL, shown this once."""

    token: str = Field(description="The secret feed token, shown this once.")
    feed_url: str = Field(description="The calendar URL to subscribe to, token included; shown this once.")


@router.post(
    "/units/{unit_id}/feed-tokens",
    summary="Create a calendar feed token for a unit (日历订阅)",
    status_code=201,
    responses=READ_ERRORS,
    description="For the unit itself or the office. The answer holds the token and the feed URL, "
    "shown this once; only the token's SHA-256 is stored.",
)
async def create_feed_token(
    unit_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    settings: SettingsDep,
    tasks: TasksDep,
    principal: PrincipalDep,
) -> FeedTokenCreated:
    row, token = await service.create_feed_token(db, tasks, unit_id=unit_id, principal=principal)
    # From the configured public URL, never the request's Host header (which a caller chooses): the link is
    # shown to people and pasted into calendar clients.
    path = request.app.url_path_for("get_unit_calendar", unit_id=str(unit_id))
    feed_url = f"{settings.public_url.rstrip('/')}{path}?{urlencode({'token': token})}"
    return created(
        response,
        FeedTokenCreated,
        {**row, "token": token, "feed_url": feed_url},
        f"/v1/units/{unit_id}/feed-tokens/{row['id']}",
    )


@router.get(
    "/units/{unit_id}/feed-tokens",
    summary="List a unit's calendar feed tokens (never the tokens)",
    responses=READ_ERRORS,
)
async def list_feed_tokens(
    unit_id: int,
    request: Request,
    response: Response,
    db: DatabaseDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[FeedTokenPublic]:
    rows = await service.list_feed_tokens(
        db, unit_id=unit_id, principal=principal, after_id=decode_id_cursor(cursor), limit=limit
    )
    return page_of(Page[FeedTokenPublic], rows, limit, request, response)


@router.get(
    "/units/{unit_id}/feed-tokens/{token_id}", summary="Read a calendar feed token's record", responses=READ_ERRORS
)
async def get_feed_token(unit_id: int, token_id: int, db: DatabaseDep, principal: PrincipalDep) -> FeedTokenPublic:
    return FeedTokenPublic.model_validate(
        await service.get_feed_token(db, unit_id=unit_id, token_id=token_id, principal=principal)
    )


@router.delete(
    "/units/{unit_id}/feed-tokens/{token_id}",
    summary="Revoke a calendar feed token",
    status_code=204,
    responses=READ_ERRORS,
)
async def revoke_feed_token(unit_id: int, token_id: int, db: DatabaseDep, principal: PrincipalDep) -> Response:
    await service.revoke_feed_token(db, unit_id=unit_id, token_id=token_id, principal=principal)
    return Response(status_code=204)


@feed_router.get(
    "/calendars/units/{unit_id}.ics",
    summary="A unit's duties as an iCalendar feed (RFC 5545)",
    description="Authenticated by the feed token in the URL and by nothing else (calendar clients cannot send "
    "bearer tokens; a bearer token is not accepted here, and a feed token opens nothing but this "
    "feed). An unknown, revoked or other unit's token answers 404. One all-day event per item "
    "deadline, milestone and indicator target of the unit, and one per day the unit must report "
    "(报送), listing the items it has not reported on yet; each with reminders at 09:00 seven days "
    "before, the day before and on the day, and a UID that stays the same while the duty does. "
    "The window is every deadline from `from` to `to` (default: 30 days back to 400 days ahead of "
    f"today in Beijing), at most {service.MAX_FEED_DAYS} days; a wider window is refused (422), "
    "never cut short.",
    response_class=Response,
    responses={
        **problem_responses(404, 503),
        200: {
            "description": "The calendar.",
            "content": {"text/calendar": {"schema": {"type": "string"}, "example": _CALENDAR_EXAMPLE}},
        },
    },
    openapi_extra=FEED_TOKEN,
)
async def get_unit_calendar(
    unit_id: int,
    db: DatabaseDep,
    tasks: TasksDep,
    reporting: ReportingDep,
    settings: SettingsDep,
    token: Annotated[str, Query(min_length=1, max_length=128, description="The unit's secret feed token.")],
    from_: Annotated[date | None, Query(alias="from", description="First day (default: 30 days ago).")] = None,
    to: Annotated[date | None, Query(description="Last day (default: 400 days ahead).")] = None,
) -> Response:
    start, end = service.feed_window(clock.business_today(), from_, to)
    body = await service.calendar_feed(
        db,
        tasks,
        unit_id=unit_id,
        token=token,
        start=start,
        end=end,
        base_url=settings.public_base_url,
        reporting=reporting,
    )
    # private: the URL holds a secret, so no shared cache may keep the answer.
    headers = {"Cache-Control": "private, max-age=300", "Content-Disposition": f'inline; filename="unit-{unit_id}.ics"'}
    return Response(body, media_type=CALENDAR, headers=headers)
