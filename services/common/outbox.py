"""The transactional outbox of a producing service: events written with the change, relayed to notify_api.

`emit` inserts the event in the caller's transaction, so an event exists exactly when its change
committed: never lost when the write commits, never sent when it rolls back. The relay reads
unpublished events in id order, POSTs each to notify_api's `POST /v1/events` and marks it published.
Delivery is at least once: a relay that dies between the POST and the mark, or two relays (replicas,
cron beside the loop) that read the same rows, send an event twice, and notify_api drops the repeat
by its `event_id`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import orjson
from fastapi import FastAPI
from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import ServiceToken
from services.common.background import BackgroundLoop
from services.common.db import Database
from services.common.http import ServiceClient
from services.common.peer_guard import strict_in
from services.common.problems import ProblemError
from services.common.settings import ServiceSettings

logger = logging.getLogger("duban.outbox")

Hook = Callable[[FastAPI], Awaitable[None]]

RELAY_BATCH = 100
RELAY_INTERVAL_SECONDS = 2.0
RELAY_SHUTDOWN_GRACE_SECONDS = 10.0  # a batch's POSTs each stay within the peer budget
_CHUNK = 2000


def outbox_table(metadata: MetaData) -> Table:
    """The outbox, in the producing service's own database."""
    return Table(
        "outbox_events",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("type", String(40), nullable=False),
        Column("data", JSON, nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, default=0),
        Index("ix_outbox_events_unpublished", "published_at", "id"),
    )


def plain_data(data: dict[str, Any]) -> dict[str, Any]:
    """Event data as the JSON it will travel as: dates and instants as ISO strings, a naive instant (SQLite
    hands them back so) as the UTC it was written in."""
    plain: dict[str, Any] = orjson.loads(
        orjson.dumps(data, option=orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)
    )
    return plain


def _event(type_: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": type_,
        "data": plain_data(data),
        "occurred_at": now,
        "published_at": None,
        "attempts": 0,
    }


async def emit(conn: AsyncConnection, table: Table, type_: str, data: dict[str, Any]) -> str:
    """Record one event in the caller's transaction; returns its event_id."""
    row = _event(type_, data, clock.now())
    await conn.execute(table.insert().values(**row))
    event_id: str = row["event_id"]
    return event_id


async def emit_many(conn: AsyncConnection, table: Table, type_: str, datas: Iterable[dict[str, Any]]) -> int:
    """Record many events of one type in the caller's transaction, in batches (plan imports)."""
    now = clock.now()
    rows = [_event(type_, data, now) for data in datas]
    for start in range(0, len(rows), _CHUNK):
        await conn.execute(table.insert(), rows[start : start + _CHUNK])
    return len(rows)


async def relay_outbox(
    db: Database, table: Table, client: ServiceClient, *, limit: int = RELAY_BATCH, source: str
) -> int:
    """Publish up to `limit` unpublished events, oldest first; returns how many were published.

    Stops at the first event notify_api does not take, so events leave in the order they were made;
    that event's `attempts` grows and it is tried again on the next run.
    """
    async with db.read() as conn:
        pending = (
            (await conn.execute(select(table).where(table.c.published_at.is_(None)).order_by(table.c.id).limit(limit)))
            .mappings()
            .all()
        )
    published = 0
    for event in pending:
        body = {
            "event_id": event["event_id"],
            "type": event["type"],
            "occurred_at": _aware(event["occurred_at"]),
            "data": event["data"],
            "source": source,
        }
        try:
            # /v1/events is idempotent by event_id, so this POST may be retried safely.
            await client.post("/v1/events", body, idempotent=True)
        except ProblemError as exc:
            logger.warning("outbox relay: event %s not published: %s", event["event_id"], exc.detail)
            async with db.transaction() as conn:
                await conn.execute(
                    table.update().where(table.c.id == event["id"]).values(attempts=table.c.attempts + 1)
                )
            break
        async with db.transaction() as conn:
            await conn.execute(
                table.update()
                .where(table.c.id == event["id"], table.c.published_at.is_(None))
                .values(published_at=clock.now(), attempts=table.c.attempts + 1)
            )
        published += 1
    return published


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC


async def relay_all(db: Database, table: Table, client: ServiceClient, *, source: str) -> tuple[int, int]:
    """Publish every pending event (the cron entry point); returns how many were published and how many are still
    pending because notify_api did not take one."""
    total = 0
    while (sent := await relay_outbox(db, table, client, limit=RELAY_BATCH, source=source)) == RELAY_BATCH:
        total += sent
    async with db.read() as conn:
        pending = await conn.scalar(select(func.count()).select_from(table).where(table.c.published_at.is_(None)))
    return total + sent, pending or 0


def notify_client(settings: ServiceSettings, url: str | None = None) -> ServiceClient:
    """A client of notify_api, as this service."""
    return ServiceClient(
        url or settings.notify_api_url,
        ServiceToken(settings),
        peer="notify_api",
        timeout=settings.peer_timeout_seconds,
        budget=settings.peer_budget_seconds,
        strict_transactions=strict_in(settings),
    )


def relay_hooks(table: Table) -> tuple[Hook, Hook]:
    """Start-up and shut-down hooks running the relay in the background while `notify_api_url` is set."""

    async def start(app: FastAPI) -> None:
        settings: ServiceSettings = app.state.settings
        app.state.outbox_relay = None
        if settings.notify_api_url:
            client = notify_client(settings)
            one_round = partial(_relay_round, app.state.database, table, client, settings.service_name)
            app.state.outbox_relay = (
                BackgroundLoop("outbox-relay", one_round, grace=RELAY_SHUTDOWN_GRACE_SECONDS),
                client,
            )

    async def stop(app: FastAPI) -> None:
        if getattr(app.state, "outbox_relay", None) is None:
            return
        loop, client = app.state.outbox_relay
        await loop.stop()
        await client.aclose()

    return start, stop


async def _relay_round(db: Database, table: Table, client: ServiceClient, source: str) -> float:
    """One batch; the next comes at once while batches are full."""
    try:
        sent = await relay_outbox(db, table, client, limit=RELAY_BATCH, source=source)
    except Exception:
        logger.exception("outbox relay failed; retrying")
        sent = 0
    return 0.0 if sent == RELAY_BATCH else RELAY_INTERVAL_SECONDS
