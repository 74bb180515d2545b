"""Real receivers for delivery tests: an HTTP endpoint that checks Standard Webhooks signatures and DingTalk
signed URLs and answers as a test scripts it, and an SMTP mailbox (aiosmtpd) that keeps what arrives."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: bytes
    verified: bool | None  # the signature checked out (None: nothing to check)

    @property
    def webhook_id(self) -> str | None:
        return self.headers.get("webhook-id")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    hold_seconds: float = 0.0  # answer only after this long (a sender may be killed meanwhile)


class Receiver:
    """POST /hooks/<name>, /dingtalk/<name>, /wecom/<name>: records every call, verifies its signature with
    the secret registered for the path, and answers with the next scripted Answer (default: success)."""

    def __init__(self) -> None:
        self.url = ""
        self.calls: list[Call] = []
        self.secrets: dict[str, str] = {}
        self.scripts: dict[str, list[Answer]] = {}
        self.on_call: Callable[[Call], None] | None = None  # told of each call as it arrives (demo_receiver.py)
        self.app = Starlette(routes=[Route("/{kind}/{name}", self._receive, methods=["POST"])])

    def reset(self) -> None:
        self.calls.clear()
        self.secrets.clear()
        self.scripts.clear()

    def endpoint(self, path: str, *, secret: str | None = None, answers: list[Answer] = ()) -> str:
        """Register `path` (e.g. "hooks/unit-1") with its secret and scripted answers; returns its URL."""
        path = path.strip("/")
        if secret:
            self.secrets[path] = secret
        self.scripts[path] = list(answers)
        return f"{self.url}/{path}"

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path.strip("/")]

    def deliveries_by_id(self, path: str | None = None) -> Counter[str]:
        """How many times each webhook-id arrived: a receiver dedupes by it, so each key is one delivery."""
        return Counter(c.webhook_id for c in self.calls if path is None or c.path == path.strip("/"))

    async def _receive(self, request: Request) -> Response:
        path = request.url.path.strip("/")
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        query = dict(request.query_params)
        self.calls.append(Call(path, headers, query, body, self._verify(path, body, headers, query)))
        if self.on_call is not None:
            self.on_call(self.calls[-1])
        script = self.scripts.get(path) or []
        answer = script.pop(0) if script else Answer()
        await asyncio.sleep(answer.hold_seconds)
        if answer.json is None and answer.status == 200 and not path.startswith("hooks/"):
            answer.json = {"errcode": 0, "errmsg": "ok"}
        if answer.json is None:
            return Response(status_code=answer.status, headers=answer.headers)
        return JSONResponse(answer.json, status_code=answer.status, headers=answer.headers)

    def _verify(self, path: str, body: bytes, headers: dict[str, str], query: dict[str, str]) -> bool | None:
        secret = self.secrets.get(path)
        if secret is None:
            return None
        if path.startswith("dingtalk/"):
            return dingtalk_signature_ok(secret, query)
        try:
            Webhook(secret).verify(body, headers)
        except WebhookVerificationError:
            return False
        return True


def dingtalk_signature_ok(secret: str, query: dict[str, str]) -> bool:
    """DingTalk's check, as its documentation gives it: timestamp within an hour, sign = base64 HmacSHA256."""
    try:
        timestamp = int(query["timestamp"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() * 1000 - timestamp) > 3600 * 1000:
        return False
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    return hmac.compare_digest(expected, query.get("sign", ""))


class Mailbox:
    """An aiosmtpd handler: keeps each message; answers DATA with the next scripted reply (default 250)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self.replies: list[str] = []
        self.port = 0

    def reset(self) -> None:
        self.messages.clear()
        self.envelopes.clear()
        self.replies.clear()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = self.replies.pop(0) if self.replies else "250 Message accepted for delivery"
        if reply.startswith("250"):
            self.envelopes.append(envelope)
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return reply


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_mailbox(mailbox: Mailbox) -> Controller:
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    return controller
