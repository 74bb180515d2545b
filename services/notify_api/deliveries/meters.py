"""notify_api's own Prometheus instruments (the shared ones are in services/common/meters.py): dispatch rounds and
their duration, deliveries by channel and outcome, reminders planned; and, read from the database when scraped (every
dispatcher and replica shares the table), the dead letters and the notifications waiting to go."""

from __future__ import annotations

from prometheus_client import Counter, Histogram
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from services.common.db import Database
from services.common.tables import table_of
from services.notify_api.deliveries.models import Notification, Status

DISPATCH_ROUNDS = Counter(
    "duban_dispatch_rounds",
    "Dispatch runs, by result: ran, or repeat (a run with the same as_of had already been made).",
    ["result"],
)
DISPATCH_DURATION = Histogram(
    "duban_dispatch_duration_seconds",
    "Time a dispatch run takes: reading the peers, planning, writing and delivering what is due.",
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)
DELIVERIES = Counter(
    "duban_deliveries",
    "Delivery attempts settled, by channel and outcome: delivered, retry (another attempt is scheduled), "
    "dead (given up: a dead letter) or cancelled (its target is gone or disabled).",
    ["channel", "outcome"],
)
REMINDERS_PLANNED = Counter("duban_reminders_planned", "Notifications planned by dispatch runs (new ones only).")
# A notification's next status after an attempt, as the outcome the deliveries counter names it by.
OUTCOMES = {
    Status.DELIVERED.value: "delivered",
    Status.PENDING.value: "retry",
    Status.DEAD.value: "dead",
    Status.CANCELLED.value: "cancelled",
}
_notifications = table_of(Notification)


async def notification_probe(db: Database) -> list[Metric]:
    """/metrics: notifications by status among the dead letters and those still to send."""
    wanted = (Status.DEAD.value, Status.PENDING.value, Status.SENDING.value)
    query = (
        select(_notifications.c.status, func.count())
        .where(_notifications.c.status.in_(wanted))
        .group_by(_notifications.c.status)
    )
    async with db.read() as conn:
        counts: dict[str, int] = {status: count for status, count in await conn.execute(query)}
    family = GaugeMetricFamily(
        "duban_notifications", "Notifications now dead (dead letters), pending or being sent.", labels=["status"]
    )
    for status in wanted:
        family.add_metric([status], counts.get(status, 0))
    return [family]
