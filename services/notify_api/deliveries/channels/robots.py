"""Group robots: DingTalk custom robots (浙政钉 is DingTalk-based) and WeCom (企业微信) group robots.

Both answer HTTP 200 with a JSON `errcode`; only errcode 0 is a delivery. Their rate-limit codes are
retried, any other errcode (bad token, bad signature, keyword filter) is a configuration error: dead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import quote_plus

import httpx

from services.common import clock
from services.common.json import dumps
from services.notify_api.deliveries.channels.base import Outcome, Target, Verdict
from services.notify_api.deliveries.channels.http import post
from services.notify_api.deliveries.repository import NotificationRow
from services.notify_api.settings import NotifySettings

DINGTALK_RATE_LIMITED = {130101}  # 发送速度太快而限流
WECOM_RATE_LIMITED = {45009}  # 接口调用超过限制
# The robots refuse longer messages (WeCom: markdown content at most 4096 bytes of UTF-8; DingTalk: 20,000
# bytes), and a refusal would kill a long daily digest, so such a message is cut to fit and says so.
WECOM_MARKDOWN_BYTES = 4096
DINGTALK_MARKDOWN_BYTES = 20000
CUT_NOTE = "\n> 内容过长，已截断；完整清单请见督办平台或邮件。"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: urlencoded base64 of HmacSHA256(secret, "<timestamp>\\n<secret>")."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def dingtalk_url(address: str, secret: str | None, timestamp_ms: int) -> str:
    """The robot's webhook URL, signed when the robot has 加签 (a signing secret)."""
    if not secret:
        return address
    joiner = "&" if "?" in address else "?"
    return f"{address}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


async def send_dingtalk(
    http: httpx.AsyncClient, settings: NotifySettings, notification: NotificationRow, target: Target
) -> Outcome:
    payload = notification["payload"]
    body = {
        "msgtype": "markdown",
        "markdown": {
            "title": payload.get("subject") or "督办提醒",
            "text": _markdown(payload, DINGTALK_MARKDOWN_BYTES),
        },
    }
    # DingTalk refuses a timestamp more than an hour from its clock: wall time, not the deliverer's `now`.
    url = dingtalk_url(target.address, target.secret, int(clock.epoch_seconds() * 1000))
    return await _robot(http, settings, url, body, DINGTALK_RATE_LIMITED)


async def send_wecom(
    http: httpx.AsyncClient, settings: NotifySettings, notification: NotificationRow, target: Target
) -> Outcome:
    body = {"msgtype": "markdown", "markdown": {"content": _markdown(notification["payload"], WECOM_MARKDOWN_BYTES)}}
    return await _robot(http, settings, target.address, body, WECOM_RATE_LIMITED)


def _markdown(payload: dict[str, Any], limit: int) -> str:
    return fit(payload.get("markdown") or payload.get("text") or "", limit)


def fit(markdown: str, limit: int) -> str:
    """The markdown as it is if it fits in `limit` UTF-8 bytes, else its whole lines that fit and CUT_NOTE."""
    if len(markdown.encode()) <= limit:
        return markdown
    budget, kept = limit - len(CUT_NOTE.encode()), []
    for line in markdown.split("\n"):
        budget -= len(line.encode()) + 1  # the line and its newline
        if budget < 0:
            break
        kept.append(line)
    return "\n".join(kept) + CUT_NOTE


async def _robot(
    http: httpx.AsyncClient, settings: NotifySettings, url: str, body: dict[str, Any], rate_limited: set[int]
) -> Outcome:
    outcome, response = await post(http, settings, url, content=dumps(body), headers={})
    if outcome.verdict is not Verdict.DELIVERED or response is None:
        return outcome
    try:
        answer = response.json()
        errcode = int(answer.get("errcode", -1))
    except (ValueError, AttributeError, TypeError):
        return Outcome(
            Verdict.DEAD,
            outcome.status_code,
            outcome.reply,
            error="The robot answered 200 without a JSON errcode; is the URL a robot webhook?",
        )
    if errcode == 0:
        return outcome
    verdict = Verdict.RETRY if errcode in rate_limited else Verdict.DEAD
    return Outcome(
        verdict,
        outcome.status_code,
        outcome.reply,
        error=f"The robot refused the message: errcode {errcode}, {answer.get('errmsg', '')}",
    )
