"""Group robots: DingTalk custom robots with the signed-URL scheme, and WeCom group robots; markdown bodies."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import unquote_plus

import pytest

from services.common.history import history_of, record_change
from services.common.secrets import SecretBox
from services.notify_api.contacts.service import seal_clear_targets
from services.notify_api.db import change_log
from services.notify_api.deliveries.channels.robots import dingtalk_sign, dingtalk_url
from services.notify_api.deliveries.jobs import deliver_due
from services.notify_api.dispatches.service import TARGET_SOURCES
from tests.notify_api.outbox import PAYLOAD, T0, add_contact, add_notification, contact_row, notification, run
from tests.notify_api.receivers import Answer

DINGTALK_SECRET = "SEC3a9f1b7c0e4d2a8b6c5f0e1d9a7b3c4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1"


def _robot(url, settings, receiver, channel, path, *, secret=None, answers=(), seal_target=True, **values):
    target = receiver.endpoint(path, secret=secret, answers=list(answers)) + "?access_token=abc123"

    async def work(db):
        contact_id = await add_contact(
            db, settings, channel=channel, target=target, secret=secret, seal_target=seal_target
        )
        return await add_notification(db, contact_id=contact_id, channel=channel, **values)

    sent = run(url, work)
    counts = run(url, lambda db: deliver_due(db, settings, sources=TARGET_SOURCES, now=T0, limit=10))
    return counts, run(url, lambda db: notification(db, sent["id"]))


def test_a_dingtalk_robot_gets_a_markdown_message_on_a_correctly_signed_url(notify_db, delivery_settings, receiver):
    counts, row = _robot(notify_db, delivery_settings, receiver, "dingtalk", "dingtalk/office", secret=DINGTALK_SECRET)
    assert (counts.sent, row["status"]) == (1, "delivered")
    [call] = receiver.calls_to("dingtalk/office")
    assert call.verified is True  # timestamp within the hour, sign = base64(HmacSHA256(secret, ts\nsecret))
    assert call.query["access_token"] == "abc123"
    assert call.json() == {
        "msgtype": "markdown",
        "markdown": {"title": PAYLOAD["subject"], "text": PAYLOAD["markdown"]},
    }


def test_a_robot_stored_with_its_token_sealed_is_sent_to_its_whole_url(notify_db, delivery_settings, receiver):
    _, sent = _robot(notify_db, delivery_settings, receiver, "wecom", "wecom/unit-1")
    stored = run(notify_db, lambda db: contact_row(db, sent["contact_id"]))
    assert stored["target"].endswith("access_token=****c123") and stored["target_sealed"] is not None
    [call] = receiver.calls_to("wecom/unit-1")
    assert call.query["access_token"] == "abc123"


def test_a_robot_written_before_targets_were_sealed_is_still_sent_to(notify_db, delivery_settings, receiver):
    counts, row = _robot(notify_db, delivery_settings, receiver, "wecom", "wecom/unit-1", seal_target=False)
    assert (counts.sent, row["status"]) == (1, "delivered")
    assert receiver.calls_to("wecom/unit-1")[0].query["access_token"] == "abc123"


def test_the_dingtalk_sign_is_urlencoded_base64_of_hmac_sha256_of_timestamp_and_secret():
    timestamp = 1700000000000
    digest = hmac.new(b"SECabc", b"1700000000000\nSECabc", hashlib.sha256).digest()
    assert unquote_plus(dingtalk_sign("SECabc", timestamp)) == base64.b64encode(digest).decode()
    assert dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=t", "SECabc", timestamp) == (
        f"https://oapi.dingtalk.com/robot/send?access_token=t&timestamp={timestamp}"
        f"&sign={dingtalk_sign('SECabc', timestamp)}"
    )
    assert dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=t", None, timestamp).endswith("=t")


def test_a_dingtalk_refusal_by_errcode_is_dead(notify_db, delivery_settings, receiver):
    refused = Answer(200, json={"errcode": 310000, "errmsg": "sign not match"})
    counts, row = _robot(
        notify_db, delivery_settings, receiver, "dingtalk", "dingtalk/office", secret=DINGTALK_SECRET, answers=[refused]
    )
    assert (counts.failed, row["status"]) == (1, "dead")
    assert "errcode 310000" in row["last_error"]


def test_a_dingtalk_rate_limit_is_retried(notify_db, delivery_settings, receiver):
    limited = Answer(200, json={"errcode": 130101, "errmsg": "send too fast"})
    _, row = _robot(
        notify_db, delivery_settings, receiver, "dingtalk", "dingtalk/office", secret=DINGTALK_SECRET, answers=[limited]
    )
    assert row["status"] == "pending"


def test_a_wecom_robot_gets_a_markdown_message(notify_db, delivery_settings, receiver):
    counts, row = _robot(notify_db, delivery_settings, receiver, "wecom", "wecom/unit-1")
    assert (counts.sent, row["status"]) == (1, "delivered")
    [call] = receiver.calls_to("wecom/unit-1")
    assert call.json() == {"msgtype": "markdown", "markdown": {"content": PAYLOAD["markdown"]}}


def test_a_wecom_refusal_by_errcode_is_dead(notify_db, delivery_settings, receiver):
    refused = Answer(200, json={"errcode": 93000, "errmsg": "invalid webhook url"})
    _, row = _robot(notify_db, delivery_settings, receiver, "wecom", "wecom/unit-1", answers=[refused])
    assert row["status"] == "dead"


def _long_digest(entries: int) -> dict:
    lines = [f"#### 【督办日报】2026年3月2日：共{entries}项", ""] + [
        f"{i}. [【提醒】{i} 推进长三角一体化示范区建设：事项完成时限还剩3天](https://duban.example.cn/plans/1/items/{i})"
        for i in range(1, entries + 1)
    ]
    return {**PAYLOAD, "markdown": "\n".join(lines)}


@pytest.mark.parametrize(
    ("channel", "path", "limit"), [("wecom", "wecom/unit-1", 4096), ("dingtalk", "dingtalk/unit-1", 20000)]
)
def test_a_digest_too_long_for_a_robot_is_cut_on_a_whole_line_and_says_so(
    notify_db, delivery_settings, receiver, channel, path, limit
):
    payload = _long_digest(400)
    counts, row = _robot(notify_db, delivery_settings, receiver, channel, path, payload=payload)
    assert (counts.sent, row["status"]) == (1, "delivered")
    [call] = receiver.calls_to(path)
    markdown = call.json()["markdown"]["content" if channel == "wecom" else "text"]
    assert len(markdown.encode()) <= limit < len(payload["markdown"].encode())
    kept, _, note = markdown.rpartition("\n")
    assert note == "> 内容过长，已截断；完整清单请见督办平台或邮件。"
    assert payload["markdown"].startswith(kept + "\n")


def test_sealing_old_contacts_masks_their_clear_urls_and_history_and_they_are_still_sent_to(
    notify_db, delivery_settings, receiver
):
    target = receiver.endpoint("wecom/old") + "?key=old-wecom-key-1234"

    async def legacy(db):
        contact_id = await add_contact(db, delivery_settings, channel="wecom", target=target, seal_target=False)
        async with db.transaction() as conn:
            await record_change(
                conn,
                change_log,
                entity="contact",
                entity_id=contact_id,
                action="create",
                actor="before-sealing",
                after={"target": target},
            )
        return contact_id

    contact_id = run(notify_db, legacy)
    assert run(notify_db, lambda db: seal_clear_targets(db, delivery_settings)) == 1
    stored = run(notify_db, lambda db: contact_row(db, contact_id))
    assert stored["target"].endswith("key=****1234")
    assert SecretBox(delivery_settings.secret_key).open(stored["target_sealed"]) == target
    assert "old-wecom-key-1234" not in repr(run(notify_db, lambda db: history(db, contact_id)))
    assert run(notify_db, lambda db: seal_clear_targets(db, delivery_settings)) == 0  # once is enough
    sent = run(notify_db, lambda db: add_notification(db, contact_id=contact_id, channel="wecom"))
    run(notify_db, lambda db: deliver_due(db, delivery_settings, sources=TARGET_SOURCES, now=T0, limit=10))
    assert run(notify_db, lambda db: notification(db, sent["id"]))["status"] == "delivered"
    assert receiver.calls_to("wecom/old")[0].query["key"] == "old-wecom-key-1234"


async def history(db, contact_id):
    async with db.read() as conn:
        return await history_of(conn, change_log, entity="contact", entity_id=contact_id, after_id=None, limit=50)
