"""The four channels a notification goes out on, and what each answer means for retrying.

Every channel answers with an `Outcome`: delivered; retry (transient: 408, 429, 5xx, 3xx, network
errors, SMTP 4xx); dead (permanent: other 4xx, SMTP 5xx, a refused target); or gone (HTTP 410: the
receiver asked us to stop, so its contact or subscription is disabled).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import httpx

from services.common.cookieless import CookielessClient
from services.notify_api.deliveries.channels import email, robots, webhook
from services.notify_api.deliveries.channels.base import Outcome, Target, Verdict
from services.notify_api.deliveries.channels.pinning import GuardedBackend, GuardedTransport
from services.notify_api.deliveries.repository import NotificationRow
from services.notify_api.settings import NotifySettings

__all__ = ["Channels", "Outcome", "Target", "Verdict"]

logger = logging.getLogger("duban.deliveries")

Sender = Callable[[httpx.AsyncClient, NotifySettings, NotificationRow, Target], Awaitable[Outcome]]
SENDERS: dict[str, Sender] = {
    "webhook": webhook.send,
    "email": email.send,
    "dingtalk": robots.send_dingtalk,
    "wecom": robots.send_wecom,
}


class Channels:
    """Sends notifications; one per delivery run, holding the HTTP connection pool."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        # Redirects are not followed: a 3xx is a failure (it could carry the signed body anywhere).
        # Every connection goes through the SSRF guard, to the addresses it checked (pinning.py).
        transport = GuardedTransport(GuardedBackend(private_allowed=settings.private_targets_allowed))
        self.http = CookielessClient(
            timeout=settings.delivery_timeout_seconds, follow_redirects=False, trust_env=False, transport=transport
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def send(self, notification: NotificationRow, target: Target) -> Outcome:
        """Deliver once; never raises (an unexpected error is a transient failure, bounded by the schedule)."""
        sender = SENDERS.get(notification["channel"])
        if sender is None:
            return Outcome(Verdict.DEAD, error=f"Unknown channel {notification['channel']!r}.")
        try:
            return await sender(self.http, self.settings, notification, target)
        except Exception as exc:
            logger.exception("delivery of notification %s failed unexpectedly", notification["id"])
            return Outcome(Verdict.RETRY, error=f"Unexpected {type(exc).__name__}: {exc}")
