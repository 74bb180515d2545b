"""The transactional outbox of a producing service: events written with the change, relayed to notify_api.

`emit` inserts the event in the caller's transaction, so an event exists exactly when its change
committed: never lost when the write commits, never sent when it rolls back. The relay reads
unpublished events in id order, POSTs each to notify_api's `POST /v1/events` and marks it published.
The relay runs as a periodic job of the service's worker (services/<svc>/worker.py) or from cron (`duban relay`).
Delivery is at least once: a relay that dies between the POST and the mark, or two relays (a worker and cron)
that read the same rows, send an event twice, and notify_api drops the repeat
by its `event_id`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, TypedDict

import orjson
from prometheus_client.metrics_core import Metric
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    RowMapping,
    String,
    Table,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import ServiceToken
from services.common.correlation import continued, trace_headers
from services.common.db import Database
from services.common.http import ServiceClient
from services.common.jobs import Job, Kind, Worker
from services.common.json import JsonObject
from services.common.meters import OUTBOX_PUBLISHED, OUTBOX_REFUSED
from services.common.metrics import Probe, gauge
from services.common.peer_guard import strict_in
from services.common.problems import ProblemError
from services.common.settings import ServiceSettings
from services.common.worker_host import Hook, KindsOf, open_worker

logger = logging.getLogger("duban.outbox")

RELAY_BATCH = 100
RELAY_INTERVAL_SECONDS = 2.0
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
        Column("traceparent", String(55)),  # the trace of the request that made it, carried on by the relay
        Index("ix_outbox_events_unpublished", "published_at", "id"),
    )


class Event(TypedDict):
    """What an event is, in the outbox and on its way to notify_api."""

    event_id: str
    type: str
    data: JsonObject
    occurred_at: datetime


class OutboxEvent(Event):
    """An event as `emit` writes it into the outbox (its columns but the id)."""

    published_at: datetime | None
    attempts: int
    traceparent: str | None


class Envelope(Event):
    """An event as notify_api's POST /v1/events takes it (NewEvent)."""

    source: str


def plain_data(data: Mapping[str, object]) -> JsonObject:
    """Event data as the JSON it will travel as: dates and instants as ISO strings, a naive instant (SQLite
    hands them back so) as the UTC it was written in."""
    plain: JsonObject = orjson.loads(
        orjson.dumps(data, option=orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)
    )
    return plain


def _event(type_: str, data: Mapping[str, object], now: datetime) -> OutboxEvent:
    return {
        "event_id": str(uuid.uuid4()),
        "type": type_,
        "data": plain_data(data),
        "occurred_at": now,
        "published_at": None,
        "attempts": 0,
        "traceparent": trace_headers().get("traceparent"),
    }


async def emit(conn: AsyncConnection, table: Table, type_: str, data: Mapping[str, object]) -> str:
    """Record one event in the caller's transaction; returns its event_id."""
    row = _event(type_, data, clock.now())
    await conn.execute(table.insert().values(**row))
    return row["event_id"]


async def emit_many(conn: AsyncConnection, table: Table, type_: str, datas: Iterable[Mapping[str, object]]) -> int:
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
    published = 0
    for event in await _unpublished(db, table, limit):
        try:
            # /v1/events is idempotent by event_id, so this POST may be retried safely.
            with continued(event["traceparent"]):  # the event's trace: the request that made it
                await client.post("/v1/events", _envelope(event, source), idempotent=True)
        except ProblemError as exc:
            logger.warning("outbox relay: event %s not published: %s", event["event_id"], exc.detail)
            OUTBOX_REFUSED.labels(source).inc()
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
        OUTBOX_PUBLISHED.labels(source).inc()
    return published


def outbox_probe(table: Table) -> Probe:
    """/metrics: the events not relayed yet and how long the oldest has waited, read from the database when scraped
    (every replica and the relay share the outbox, so any process may tell)."""

    async def probe(db: Database) -> list[Metric]:
        pending = select(func.count(), func.min(table.c.occurred_at)).where(table.c.published_at.is_(None))
        async with db.read() as conn:
            count, oldest = (await conn.execute(pending)).one()
        age = 0.0 if oldest is None else max(0.0, (clock.now() - oldest).total_seconds())
        return [
            gauge("duban_outbox_events_pending", "Outbox events not yet relayed to notify_api.", count),
            gauge("duban_outbox_oldest_pending_age_seconds", "How long the oldest unrelayed event has waited.", age),
        ]

    return probe


async def _unpublished(db: Database, table: Table, limit: int) -> Sequence[RowMapping]:
    """Up to `limit` unpublished events, oldest first."""
    async with db.read() as conn:
        query = select(table).where(table.c.published_at.is_(None)).order_by(table.c.id).limit(limit)
        return (await conn.execute(query)).mappings().all()


def _envelope(event: RowMapping, source: str) -> Envelope:
    return {
        "event_id": event["event_id"],
        "type": event["type"],
        "occurred_at": event["occurred_at"],
        "data": event["data"],
        "source": source,
    }


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


RELAY = "outbox.relay"
RELAY_BATCHES_PER_RUN = 50  # then other jobs get their turn; the rest goes at the next interval


async def open_relay(holder: Any) -> None:
    """Worker hook: the notify_api client the relay posts with, while `notify_api_url` is set."""
    settings: ServiceSettings = holder.state.settings
    holder.state.notify = notify_client(settings) if settings.notify_api_url else None


async def close_relay(holder: Any) -> None:
    if holder.state.notify is not None:
        await holder.state.notify.aclose()


def relay_kinds(state: Any, table: Table) -> list[Kind]:
    """The relay as a periodic job of the service's worker (none while `notify_api_url` is unset)."""
    if state.notify is None:
        return []

    async def relay(job: Job) -> dict[str, int]:
        published = 0
        for _ in range(RELAY_BATCHES_PER_RUN):
            sent = await relay_outbox(
                state.database, table, state.notify, limit=RELAY_BATCH, source=state.settings.service_name
            )
            published += sent
            if sent < RELAY_BATCH:
                break
        return {"published": published}

    return [Kind(RELAY, relay, every=RELAY_INTERVAL_SECONDS)]


def relaying_worker(
    settings: ServiceSettings,
    queue: Table,
    outbox: Table,
    *,
    more: KindsOf | None = None,
    hooks: Sequence[tuple[Hook, Hook]] = (),
) -> AbstractAsyncContextManager[Worker]:
    """The worker of a producing service: the relay of its outbox, and the `more` kinds it has (with the `hooks`
    that open what they need)."""

    def kinds(state: Any) -> list[Kind]:
        return [*relay_kinds(state, outbox), *(more(state) if more else ())]

    return open_worker(settings, queue, kinds, hooks=[(open_relay, close_relay), *hooks])
