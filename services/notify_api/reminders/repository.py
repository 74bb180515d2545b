"""The reminders room's SQL: the contacts a dispatch addresses, and the one seam that writes planned rows to the
outbox exactly once (the unique dedupe_key; ON CONFLICT DO NOTHING on SQLite, a COPY of the new keys under an
advisory lock on PostgreSQL)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.dialect import copy_rows, dialect_of, driver_connection
from services.common.tables import table_of
from services.notify_api.contacts.models import Contact
from services.notify_api.deliveries.models import Notification
from services.notify_api.reminders.addressing import ContactBook, Reach
from services.notify_api.reminders.deadlines import deadline_ref
from services.notify_api.reminders.rows import DigestedStep, Planned, Writing

notifications, contacts = table_of(Notification), table_of(Contact)
OUTBOX_COLUMNS = [column.name for column in notifications.c if column.name != "id"]

BATCH_ROWS = 500  # rows per INSERT on SQLite: ~12,000 bound parameters, under its limit
OUTBOX_WRITER_LOCK = 0x6475_6261_6E4F_5554  # the advisory lock planners write the outbox under ("dubanOUT")

_CONTACTS = (
    select(contacts.c.id, contacts.c.owner_kind, contacts.c.owner_id, contacts.c.channel)
    .where(contacts.c.enabled.is_(True))
    .order_by(contacts.c.id)
)


async def digested_steps(
    conn: AsyncConnection, contact_ids: Collection[int], *, since: date, before: date
) -> set[DigestedStep]:
    """The steps the digests of these contacts listed on the days from `since` to the one before `before` (their keys
    are `digest:<contact>:<day>[:<part>]`): a digest lists what is in force on its day, and a step sent one day is in
    force the next as well. Single notices are kept from going out twice by their keys, digests by this."""
    key = notifications.c.dedupe_key
    days = [(f"digest:{c}:{since.isoformat()}", f"digest:{c}:{before.isoformat()}") for c in sorted(contact_ids)]
    query = select(notifications.c.contact_id, notifications.c.payload).where(
        notifications.c.purpose == "digest", or_(*(and_(key >= low, key < high) for low, high in days))
    )
    found: set[DigestedStep] = set()
    for contact_id, payload in await conn.execute(query):
        found.update((contact_id, *_step_of(reminder)) for reminder in payload["data"]["reminders"])
    return found


def _step_of(reminder: Mapping[str, Any]) -> tuple[str, str, str]:
    """A digest entry's deadline (as Deadline.ref names it), due date and step (templates.notice_data)."""
    ref = deadline_ref(reminder["deadline_kind"], reminder["plan_id"], reminder["deadline_id"])
    return ref, reminder["due_on"], reminder["step"]


async def contact_book(conn: AsyncConnection) -> ContactBook:
    """Enabled contacts by (owner kind, owner id), in id order."""
    found: ContactBook = defaultdict(list)
    for contact_id, owner_kind, owner_id, channel in await conn.execute(_CONTACTS):
        found[owner_kind, owner_id].append(Reach(contact_id, channel))
    return found


async def write_rows(conn: AsyncConnection, planned: list[Planned], *, as_of: datetime, dispatch_id: int) -> int:
    """Insert the rows that are not there yet, in the caller's transaction; returns how many were."""
    if not planned:
        return 0
    dialect = dialect_of(conn)
    await dialect.writer_lock(conn, OUTBOX_WRITER_LOCK)
    if dialect.copies:
        return await _copy_new_rows(conn, planned, as_of=as_of, dispatch_id=dispatch_id)
    writing = Writing.of(len(planned), as_of=as_of, dispatch_id=dispatch_id)
    rows = [p.row(writing) for p in planned]
    created = 0
    for start in range(0, len(rows), BATCH_ROWS):
        batch = rows[start : start + BATCH_ROWS]
        statement = dialect.insert_or_skip(notifications, batch, conflict_key="dedupe_key").returning(
            notifications.c.id
        )
        created += len((await conn.execute(statement)).all())
    return created


async def _copy_new_rows(conn: AsyncConnection, planned: list[Planned], *, as_of: datetime, dispatch_id: int) -> int:
    """With COPY (PostgreSQL): planners write one at a time (under the writer lock), so the rows whose keys are
    not in the outbox yet can be COPYed straight in. A day's dispatch of a province is a million rows: 500-row
    INSERTs wrote ~3,000 a second; COPY through a staging table and INSERT … ON CONFLICT from it ~16,000; this
    more than twice that. The rows are built as COPY takes them, so PostgreSQL writes the first rows on the
    other core while the messages of the next ones are still being rendered here."""
    driver = await driver_connection(conn)
    written = {
        record[0]
        for record in await driver.fetch(
            "SELECT dedupe_key FROM notifications WHERE dedupe_key = ANY($1::text[])", [p.dedupe_key for p in planned]
        )
    }
    new = [p for p in planned if p.dedupe_key not in written]
    writing = Writing.of(len(new), as_of=as_of, dispatch_id=dispatch_id)
    await copy_rows(conn, notifications, (p.row(writing) for p in new), OUTBOX_COLUMNS)
    return len(new)
