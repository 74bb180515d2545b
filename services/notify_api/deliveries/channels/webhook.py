"""Standard Webhooks (standardwebhooks.com): a JSON body signed with the endpoint's whsec_ secret."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx

from services.common import clock
from services.common.correlation import continued, trace_headers
from services.common.json import dumps
from services.notify_api.deliveries.channels.base import Outcome, Target, Verdict
from services.notify_api.deliveries.channels.http import post
from services.notify_api.deliveries.clock import utc
from services.notify_api.deliveries.repository import NotificationRow
from services.notify_api.settings import NotifySettings


def signature(secrets: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature`: `v1,<base64 HMAC-SHA256>` of `id.timestamp.body`, one per secret.

    Several whitespace-separated secrets sign with each, so that a receiver keeps verifying while an
    endpoint's secret is rotated (the specification's space-separated signature list)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()
        for secret in secrets.split()
    )


def _key(secret: str) -> bytes:
    raw = secret.removeprefix("whsec_")
    return base64.b64decode(raw + "=" * (-len(raw) % 4))


def body(notification: NotificationRow) -> bytes:
    """An event goes out exactly as it was received (to a unit's, a leader's or the office's own contact with the
    notification's id in its data, as every notice they are sent); a reminder as {type, timestamp, data}."""
    payload = notification["payload"]
    if notification["purpose"] == "event":
        if notification["recipient_kind"] == "subscription" or not isinstance(payload.get("data"), dict):
            return dumps(payload)
        return dumps({**payload, "data": {**payload["data"], "notification_id": notification["id"]}})
    # The notification's id lets the receiving system acknowledge it: POST /v1/notifications/{id}/read.
    data = {
        **payload.get("data", {}),
        "subject": payload.get("subject"),
        "text": payload.get("text"),
        "notification_id": notification["id"],
    }
    kind = notification.get("level") or notification["purpose"]
    # The creation time, not the send time: every retry carries the same body.
    return dumps({"type": f"reminder.{kind}", "timestamp": utc(notification["created_at"]), "data": data})


async def send(
    http: httpx.AsyncClient, settings: NotifySettings, notification: NotificationRow, target: Target
) -> Outcome:
    if not target.secret:
        return Outcome(Verdict.DEAD, error="The webhook endpoint has no signing secret.")
    content = body(notification)
    # Wall-clock seconds: receivers reject timestamps more than a few minutes off their own clock.
    timestamp = int(clock.epoch_seconds())
    headers = {
        "webhook-id": notification["webhook_id"],
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(target.secret, notification["webhook_id"], timestamp, content),
    }
    with continued(notification.get("traceparent")):  # the event's trace goes on to the receiver
        headers.update(trace_headers())
        outcome, _ = await post(http, settings, target.address, content=content, headers=headers)
    return outcome
