"""Feed tokens and the calendar (RFC 5545) of a unit's deadlines.

Calendar clients cannot send bearer tokens, so a unit's feed URL carries a secret token instead. Only its
SHA-256 is stored; the token is shown once, opens that one unit's feed and nothing else, and can be revoked.
An unknown, revoked or other unit's token finds no calendar (404), so a guess learns nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal
from services.common.contracts.reporting import ReportingClient
from services.common.contracts.tasks import TasksClient, Unit
from services.common.db import Database
from services.common.history import record_change
from services.common.problems import Forbidden, NotFound, Unprocessable
from services.common.secrets import new_token, token_hash
from services.notify_api.calendars import repository
from services.notify_api.calendars.ics import unit_calendar
from services.notify_api.calendars.repository import FeedTokenRow, FeedTokenShown
from services.notify_api.db import change_log
from services.notify_api.reminders.deadlines import Deadline, deadlines_between
from services.notify_api.reminders.report_days import REPORT, report_days

PEER_WINDOW_DAYS = 400  # the longest window tasks_api's /v1/deadlines answers in one query
MAX_FEED_DAYS = 5 * 366  # five years: a wider window is refused (422), never cut short
# A month back (what was just missed) to past the next year's reports: a new subscriber never sees an empty calendar.
DEFAULT_PAST_DAYS, DEFAULT_AHEAD_DAYS = 30, 400


def _check_unit(principal: Principal, unit_id: int) -> None:
    if not principal.is_staff and principal.unit_id != unit_id:
        raise Forbidden("Only the unit itself, or the office, manages its calendar feed tokens.")


async def _unit(tasks: TasksClient, unit_id: int) -> Unit:
    try:
        return Unit.model_validate(await tasks.http.get(f"/v1/units/{unit_id}"))
    except NotFound as exc:
        raise NotFound(f"Unit {unit_id} does not exist.") from exc


async def create_feed_token(
    db: Database, tasks: TasksClient, *, unit_id: int, principal: Principal
) -> tuple[FeedTokenShown, str]:
    """A new feed token of the unit: its stored record, and the token itself, to be shown this once."""
    _check_unit(principal, unit_id)
    await _unit(tasks, unit_id)
    token = new_token()
    async with db.transaction() as conn:
        row = await repository.insert_token(
            conn, unit_id=unit_id, token_hash=token_hash(token), created_at=clock.now(), actor=principal.subject
        )
    return repository.shown(row), token


async def list_feed_tokens(
    db: Database, *, unit_id: int, principal: Principal, after_id: int | None, limit: int
) -> list[FeedTokenShown]:
    _check_unit(principal, unit_id)
    async with db.read() as conn:
        return await repository.token_page(conn, unit_id=unit_id, after_id=after_id, limit=limit)


def _no_token(unit_id: int, token_id: int) -> NotFound:
    return NotFound(f"Unit {unit_id} has no feed token {token_id}.")


def _check_token_unit(principal: Principal, unit_id: int, token_id: int) -> None:
    """A token at another unit's address is 404 to a unit, as one that is not there (README, Security: another
    unit's record is 404); a role that manages no tokens is 403, whatever the token."""
    if not principal.party_to(unit_id):
        raise _no_token(unit_id, token_id)
    _check_unit(principal, unit_id)


async def _own_token(conn: AsyncConnection, unit_id: int, token_id: int) -> FeedTokenRow:
    row = await repository.find_token(conn, token_id)
    if row is None or row["unit_id"] != unit_id:
        raise _no_token(unit_id, token_id)
    return row


async def get_feed_token(db: Database, *, unit_id: int, token_id: int, principal: Principal) -> FeedTokenShown:
    _check_token_unit(principal, unit_id, token_id)
    async with db.read() as conn:
        return repository.shown(await _own_token(conn, unit_id, token_id))


async def revoke_feed_token(db: Database, *, unit_id: int, token_id: int, principal: Principal) -> None:
    """Revoke a token; the feed URL stops working at once. Revoking twice changes nothing."""
    _check_token_unit(principal, unit_id, token_id)
    async with db.transaction() as conn:
        before = await _own_token(conn, unit_id, token_id)
        if before["revoked_at"] is not None:
            return
        revoked_at = clock.now()
        await repository.revoke_token(conn, token_id, revoked_at=revoked_at)
        await record_change(
            conn,
            change_log,
            entity="feed_token",
            entity_id=token_id,
            action="update",
            actor=principal.subject,
            before={"revoked_at": None},
            after={"revoked_at": revoked_at},
        )


async def _feed_unit(db: Database, *, unit_id: int, token: str) -> None:
    """404 unless `token` is a live feed token of this unit."""
    async with db.read() as conn:
        owner = await repository.live_token_unit(conn, token_hash(token))
    if owner != unit_id:
        raise NotFound("No calendar at this address; the feed link may have been revoked.")


def feed_window(today: date, start: date | None, end: date | None) -> tuple[date, date]:
    start = start or today - timedelta(days=DEFAULT_PAST_DAYS)
    end = end or today + timedelta(days=DEFAULT_AHEAD_DAYS)
    if end < start:
        raise Unprocessable("to must not be before from.", at=("query", "to"))
    if (end - start).days > MAX_FEED_DAYS:
        raise Unprocessable(f"The window from..to may span at most {MAX_FEED_DAYS} days.", at=("query", "to"))
    return start, end


async def _deadlines(
    tasks: TasksClient, reporting: ReportingClient, unit_id: int, start: date, end: date, today: date
) -> list[Deadline]:
    """The unit's deadlines (reports it has not filed as of `today` included) in [start, end], asked in windows
    tasks_api accepts."""
    found: list[Deadline] = []
    while start <= end:
        stop = min(end, start + timedelta(days=PEER_WINDOW_DAYS))
        found += await deadlines_between(tasks, reporting, start, stop, today=today, unit_id=unit_id)
        start = stop + timedelta(days=1)
    return found


async def calendar_feed(
    db: Database,
    tasks: TasksClient,
    *,
    unit_id: int,
    token: str,
    start: date,
    end: date,
    base_url: str,
    reporting: ReportingClient,
) -> bytes:
    """The unit's calendar, if the token opens it: every deadline of the window, none dropped."""
    await _feed_unit(db, unit_id=unit_id, token=token)
    unit = await _unit(tasks, unit_id)
    found = await _deadlines(tasks, reporting, unit_id, start, end, clock.business_today())
    days = [day for day in report_days(found) if day.unit_id == unit_id]
    own = [d for d in found if d.kind != REPORT]
    return unit_calendar(unit, own, days, base_url=base_url, stamp=clock.now())
