"""The feed tokens' SQL: typed rows in and out; the token itself never reaches the table, only its hash."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import Records
from services.common.tables import table_of
from services.notify_api.calendars.models import FeedToken
from services.notify_api.db import change_log

feed_tokens = table_of(FeedToken)
feed_token_records: Records[FeedTokenRow] = Records(feed_tokens, "feed_token", change_log)
SHOWN = [c for c in feed_tokens.c if c.name != "token_hash"]


class FeedTokenShown(TypedDict):
    """A feed token's record as it is shown: everything but the hash."""

    id: int
    unit_id: int
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class FeedTokenRow(FeedTokenShown):
    """A feed token's row as stored."""

    token_hash: str


def shown(row: FeedTokenRow) -> FeedTokenShown:
    return FeedTokenShown(
        id=row["id"],
        unit_id=row["unit_id"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


async def insert_token(
    conn: AsyncConnection, *, unit_id: int, token_hash: str, created_at: datetime, actor: str
) -> FeedTokenRow:
    values = {"unit_id": unit_id, "token_hash": token_hash, "created_by": actor, "created_at": created_at}
    return await feed_token_records.insert(conn, values, actor=actor)


async def token_page(conn: AsyncConnection, *, unit_id: int, after_id: int | None, limit: int) -> list[FeedTokenShown]:
    rows = await feed_token_records.page(
        conn, where=[feed_tokens.c.unit_id == unit_id], after_id=after_id, limit=limit, columns=SHOWN
    )
    return cast(list[FeedTokenShown], rows)


async def find_token(conn: AsyncConnection, token_id: int) -> FeedTokenRow | None:
    return await feed_token_records.find(conn, token_id)


async def revoke_token(conn: AsyncConnection, token_id: int, *, revoked_at: datetime) -> None:
    await conn.execute(
        feed_tokens.update()
        .where(feed_tokens.c.id == token_id, feed_tokens.c.revoked_at.is_(None))
        .values(revoked_at=revoked_at)
    )


async def live_token_unit(conn: AsyncConnection, token_hash: str) -> int | None:
    """The unit whose live (not revoked) feed token has this hash, if any."""
    query = select(feed_tokens.c.unit_id).where(
        feed_tokens.c.token_hash == token_hash, feed_tokens.c.revoked_at.is_(None)
    )
    unit_id: int | None = await conn.scalar(query)
    return unit_id
