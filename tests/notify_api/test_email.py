"""E-mail goes through SMTP (aiosmtplib) to a real local server (aiosmtpd): Chinese subject, UTF-8 body."""

from __future__ import annotations

from services.notify_api.deliveries.jobs import deliver_due
from services.notify_api.dispatches.service import TARGET_SOURCES
from tests.notify_api.outbox import PAYLOAD, T0, add_contact, add_notification, attempts_of, notification, run
from tests.notify_api.receivers import free_port


def _email(url, settings, address="fgw@quzhou.gov.cn"):
    async def work(db):
        contact_id = await add_contact(db, settings, channel="email", target=address)
        return await add_notification(db, contact_id=contact_id, channel="email")

    sent = run(url, work)
    counts = run(url, lambda db: deliver_due(db, settings, sources=TARGET_SOURCES, now=T0, limit=10))
    return (
        sent,
        counts,
        run(url, lambda db: notification(db, sent["id"])),
        run(url, lambda db: attempts_of(db, sent["id"])),
    )


def test_an_email_arrives_at_the_smtp_server_with_the_chinese_subject_and_text(notify_db, delivery_settings, mailbox):
    sent, counts, row, [attempt] = _email(notify_db, delivery_settings)
    assert (counts.sent, row["status"]) == (1, "delivered")
    [mail] = mailbox.messages
    assert mail["Subject"] == PAYLOAD["subject"]
    assert mail["From"] == delivery_settings.smtp_sender
    assert mail["To"] == "fgw@quzhou.gov.cn"
    text, _, acknowledgement = mail.get_content().strip().partition("\n\n")
    assert text == PAYLOAD["text"]
    assert acknowledgement == f"阅后请点击确认：https://duban.example.cn/notifications/{sent['id']}"
    assert mail["Message-ID"] == f"<{sent['webhook_id']}@quzhou.gov.cn>"
    assert mailbox.envelopes[0].rcpt_tos == ["fgw@quzhou.gov.cn"]
    assert attempt["status_code"] == 250


def test_a_subject_with_line_breaks_arrives_on_one_line(notify_db, delivery_settings, mailbox):
    # An item title may hold line breaks; the e-mail library refused such a Subject, and the notice was retried
    # until it was given up, never arriving (until 2026-12-07).
    async def work(db):
        contact_id = await add_contact(db, delivery_settings, channel="email", target="fgw@quzhou.gov.cn")
        payload = {**PAYLOAD, "subject": "【催办】1.1 推进长三角\r\n一体化\n还有3天到期"}
        return await add_notification(db, contact_id=contact_id, channel="email", payload=payload)

    sent = run(notify_db, work)
    run(notify_db, lambda db: deliver_due(db, delivery_settings, sources=TARGET_SOURCES, now=T0, limit=10))
    assert run(notify_db, lambda db: notification(db, sent["id"]))["status"] == "delivered"
    [mail] = mailbox.messages
    assert mail["Subject"] == "【催办】1.1 推进长三角 一体化 还有3天到期"


def test_a_permanent_smtp_refusal_makes_the_notification_dead(notify_db, delivery_settings, mailbox):
    mailbox.replies.append("550 5.1.1 mailbox unavailable")
    _, counts, row, [attempt] = _email(notify_db, delivery_settings)
    assert (counts.failed, row["status"]) == (1, "dead")
    assert (attempt["status_code"], attempt["reply"]) == (550, "5.1.1 mailbox unavailable")
    assert "SMTP 550" in row["last_error"]


def test_a_transient_smtp_refusal_is_retried(notify_db, delivery_settings, mailbox):
    mailbox.replies.append("451 4.3.0 try again later")
    _, _, row, [attempt] = _email(notify_db, delivery_settings)
    assert (row["status"], attempt["status_code"]) == ("pending", 451)
    assert row["next_attempt_at"] > T0


def test_an_unreachable_smtp_server_is_retried_without_a_reply_code(notify_db, delivery_settings):
    settings = delivery_settings.model_copy(update={"smtp_port": free_port()})
    _, _, row, [attempt] = _email(notify_db, settings)
    assert row["status"] == "pending"
    assert attempt["status_code"] is None
    assert "not reachable" in attempt["error"]
