"""HTTP delivery shared by webhooks and group robots: the SSRF guard, the POST, and reading the answer."""

from __future__ import annotations

from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx

from services.common import clock
from services.common.http_responses import unbound
from services.notify_api.deliveries.channels.base import Outcome, Verdict, clip
from services.notify_api.deliveries.channels.pinning import refused_by_guard
from services.notify_api.settings import NotifySettings


def invalid_target(url: str) -> Outcome | None:
    """Why `url` cannot be posted to, or None. Where it may point (public addresses only, outside development)
    is checked when connecting, on the very addresses connected to (pinning.py)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        return Outcome(Verdict.DEAD, error=f"The target {url!r} is not a valid URL: {exc}.")
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return Outcome(Verdict.DEAD, error=f"The target {url!r} is not an http(s) URL.")
    return None


async def post(
    http: httpx.AsyncClient, settings: NotifySettings, url: str, *, content: bytes, headers: dict[str, str]
) -> tuple[Outcome, httpx.Response | None]:
    """POST `content`; the outcome by status alone, and the response for channels that read the body."""
    if invalid := invalid_target(url):
        return invalid, None
    try:
        response = unbound(
            await http.post(url, content=content, headers={"Content-Type": "application/json", **headers})
        )
    except httpx.TimeoutException:
        return Outcome(Verdict.RETRY, error=f"No answer within {settings.delivery_timeout_seconds:g} s."), None
    except httpx.HTTPError as exc:
        if refused_by_guard(exc):
            return Outcome(Verdict.DEAD, error=str(exc)), None
        return Outcome(Verdict.RETRY, error=f"{type(exc).__name__}: {exc}"), None
    return outcome_of(response), response


def outcome_of(response: httpx.Response) -> Outcome:
    """What an HTTP status means: 2xx delivered; 410 gone; 408, 429, 5xx and 3xx retried; other 4xx dead."""
    code, reply = response.status_code, clip(response.text)
    if 200 <= code < 300:
        return Outcome(Verdict.DELIVERED, code, reply)
    if code == 410:
        return Outcome(Verdict.GONE, code, reply, error="The receiver answered 410 Gone; its endpoint is disabled.")
    if code in (408, 429) or code >= 500:
        return Outcome(
            Verdict.RETRY,
            code,
            reply,
            error=f"HTTP {code}",
            retry_after=retry_after(response.headers.get("retry-after")),
        )
    if 300 <= code < 400:
        return Outcome(Verdict.RETRY, code, reply, error=f"HTTP {code}: redirects are not followed.")
    return Outcome(Verdict.DEAD, code, reply, error=f"HTTP {code}: refused by the receiver, not retried.")


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - clock.now()).total_seconds())
