"""E-mail through the configured SMTP server (aiosmtplib): Chinese subject, UTF-8 plain text."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
import httpx

from services.notify_api.deliveries.channels.base import Outcome, Target, Verdict, clip
from services.notify_api.deliveries.clock import now_utc
from services.notify_api.deliveries.repository import NotificationRow
from services.notify_api.settings import NotifySettings


def message(settings: NotifySettings, notification: NotificationRow, to: str) -> EmailMessage:
    payload = notification["payload"]
    mail = EmailMessage()
    mail["From"] = settings.smtp_sender
    mail["To"] = to
    mail["Subject"] = one_line(payload.get("subject") or "督办提醒")
    mail["Date"] = format_datetime(now_utc())
    # The webhook id as Message-ID: a mail resent after a crash is the same message to mail clients.
    mail["Message-ID"] = f"<{notification['webhook_id']}@{settings.smtp_sender.rpartition('@')[2] or 'duban'}>"
    mail.set_content(
        f"{payload.get('text') or ''}\n\n阅后请点击确认：{acknowledgement_link(settings, notification)}\n",
        charset="utf-8",
    )
    return mail


def one_line(text: str) -> str:
    """A header's text on one line: a title's line breaks (an item title may hold them) each become a space, where
    the e-mail library refuses the header and the notice was retried until it was given up."""
    return " ".join(text.splitlines())


def acknowledgement_link(settings: NotifySettings, notification: NotificationRow) -> str:
    """Where the recipient confirms having read the notice (the front end records it with POST …/read)."""
    return f"{settings.public_base_url.rstrip('/')}/notifications/{notification['id']}"


def _by_code(code: int, reply: str, what: str) -> Outcome:
    """SMTP 5xx is permanent (dead), anything else (4xx) transient."""
    verdict = Verdict.DEAD if 500 <= code < 600 else Verdict.RETRY
    return Outcome(verdict, code, clip(reply), error=f"SMTP {code} {what}: {reply}"[:2000])


async def send(
    http: httpx.AsyncClient, settings: NotifySettings, notification: NotificationRow, target: Target
) -> Outcome:
    try:
        _, reply = await aiosmtplib.send(
            message(settings, notification, target.address),
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
            use_tls=settings.smtp_use_tls,
            start_tls=settings.smtp_start_tls,
            timeout=settings.delivery_timeout_seconds,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        first = exc.recipients[0]
        return _by_code(first.code, first.message, f"refused {target.address}")
    except aiosmtplib.SMTPResponseException as exc:
        return _by_code(exc.code, exc.message, "error")
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        return Outcome(
            Verdict.RETRY,
            error=f"SMTP server {settings.smtp_host}:{settings.smtp_port} not reachable: {type(exc).__name__}: {exc}",
        )
    # aiosmtplib raises on every non-2xx reply, so reaching here means the DATA was accepted (250).
    return Outcome(Verdict.DELIVERED, 250, clip(reply))
