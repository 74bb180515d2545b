"""What the replica test reads back from the databases and the receiver once the load is over."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx
from sqlalchemy import Table, select

from services.notify_api.deliveries.models import DeliveryAttempt, Notification, Status
from services.notify_api.events.models import ReceivedEvent, Subscription
from services.reporting_api.db import outbox_events as reporting_outbox
from services.tasks_api.db import outbox_events as tasks_outbox
from tests.notify_api.outbox import run
from tests.replicas.cluster import Cluster

notifications, attempts = Notification.__table__, DeliveryAttempt.__table__


def rows(url: str, table: Table) -> list[dict[str, Any]]:
    async def read(db: Any) -> list[dict[str, Any]]:
        async with db.read() as conn:
            return [dict(row) for row in (await conn.execute(select(table))).mappings()]

    return run(url, read)


def _unfinished(cluster: Cluster) -> dict[str, int]:
    """What is still on its way: events not relayed, notifications not delivered."""
    return {
        "tasks_api events": sum(e["published_at"] is None for e in rows(cluster.tasks.database, tasks_outbox)),
        "reporting_api events": sum(
            e["published_at"] is None for e in rows(cluster.reporting.database, reporting_outbox)
        ),
        "notifications": sum(n["status"] != Status.DELIVERED for n in rows(cluster.notify.database, notifications)),
    }


def settle(cluster: Cluster, *, deadline: float) -> None:
    """Wait until the surviving workers relayed every event and delivered every notification."""
    while any((left := _unfinished(cluster)).values()):
        assert time.monotonic() < deadline, f"still on its way at the deadline: {left}"
        time.sleep(0.3)


def delivered(cluster: Cluster) -> None:
    """Every outbox event reached notify_api and went to the subscriber; every notification went out under its one
    webhook-id, and a webhook-id came twice only for a send whose deliverer died before recording it."""
    events = rows(cluster.tasks.database, tasks_outbox) + rows(cluster.reporting.database, reporting_outbox)
    notify = cluster.notify.database
    assert {e["event_id"] for e in events} <= {r["event_id"] for r in rows(notify, ReceivedEvent.__table__)}
    (subscription,) = rows(notify, Subscription.__table__)
    sent = {n["dedupe_key"]: n for n in rows(notify, notifications)}
    undelivered = [e for e in events if f"event:{e['event_id']}:sub:{subscription['id']}" not in sent]
    assert undelivered == [], "events received but never fanned out to the subscriber"
    received = Counter(httpx.get(f"{cluster.receiver.url}/stats/counts").json())
    assert set(received) == {n["webhook_id"] for n in sent.values()}
    logged = Counter(a["notification_id"] for a in rows(notify, attempts))
    repeats = {n["webhook_id"]: received[n["webhook_id"]] - 1 for n in sent.values() if received[n["webhook_id"]] > 1}
    unrecorded = {n["webhook_id"]: n["attempts"] - logged[n["id"]] for n in sent.values()}
    assert all(times <= unrecorded[webhook_id] for webhook_id, times in repeats.items()), (repeats, unrecorded)
    purposes = Counter(n["purpose"] for n in sent.values())
    print(f"{len(events)} outbox events, notifications {dict(purposes)}, webhook-ids repeated {repeats}")
