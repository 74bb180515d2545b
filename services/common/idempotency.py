"""Idempotency-Key for creating POSTs (draft-ietf-httpapi-idempotency-key-header, Stripe's practice).

The same key and body replay the first response; the same key with another body is 422; a retry while the first
request still runs is 409. Keys are scoped to the caller (role, unit and subject) and kept for `RETENTION`. A pure
ASGI middleware, so one piece of code serves every service.

Every transaction the request commits also stamps the key's `wrote_at`, in the same commit. A request that died after
writing but before its answer was kept is therefore never run again: its retry gets 409 (outcome unknown). One that
died before writing anything is run again once it counts as abandoned.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    RowMapping,
    String,
    Table,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common import clock
from services.common.context import scope_principal
from services.common.db import COMMIT_MARK, Database
from services.common.json import dumps, loads
from services.common.problems import Conflict, ProblemError, problem_response
from services.common.secrets import SecretBox
from services.common.streaming import replay_body, streams_body

logger = logging.getLogger("duban.idempotency")

RETENTION = timedelta(hours=24)
ABANDONED_AFTER = timedelta(minutes=2)  # an in-flight key older than this belongs to a crashed request
MAX_KEY_LENGTH = 255
_REPLAYED_HEADERS = ("content-type", "location", "etag", "link")
OWNER_LENGTH = 255  # the key's owner (_caller), as the column holds it


def idempotency_table(metadata: MetaData) -> Table:
    """The table that remembers keys and first responses, in the service's own database."""
    return Table(
        "idempotency_keys",
        metadata,
        Column("scope", String(OWNER_LENGTH), primary_key=True),  # the caller (_caller)
        Column("key", String(MAX_KEY_LENGTH), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("completed", Boolean, nullable=False, default=False),
        Column("status_code", Integer),
        Column("headers", LargeBinary),
        Column("body", LargeBinary),
        # When the request was claimed (again): its transactions stamp the key only while this is unchanged.
        Column("created_at", DateTime(timezone=True), nullable=False, index=True),
        Column("wrote_at", DateTime(timezone=True)),  # when the request's first transaction committed
    )


@dataclass(frozen=True)
class KeyClaim:
    """A request's hold on its key, stamped by each transaction the request commits (services/common/db.py)."""

    database: Database
    table: Table
    owner: str
    key: str
    claimed_at: datetime

    async def write(self, conn: Any) -> None:
        table = self.table
        stamped = await conn.execute(
            update(table)
            .where(
                table.c.scope == self.owner,
                table.c.key == self.key,
                table.c.created_at == self.claimed_at,
            )
            .values(wrote_at=func.coalesce(table.c.wrote_at, clock.now()))
        )
        if stamped.rowcount != 1:  # a retry took the key over while this request was too slow to count as alive
            raise Conflict("A retry with the same Idempotency-Key took this request over; nothing was written.")


class IdempotencyMiddleware:
    """Replays the first response to a POST retried with the same Idempotency-Key."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._last_purge = 0.0

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine: a request it has no business with is handed on without a frame of this layer.
        if scope["type"] != "http" or scope["method"] != "POST" or streams_body(scope):  # a streamed route keys itself
            return self.app(scope, receive, send)
        return self._keyed(scope, receive, send)

    async def _keyed(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        key = headers.get("idempotency-key")
        if key is None:
            return await self.app(scope, receive, send)
        if not key or len(key) > MAX_KEY_LENGTH:
            return await _bad_key()(scope, receive, send)
        body = await _read_body(receive)
        state = scope["app"].state
        owner = _caller(scope)
        try:
            early = await self._claim(state, owner, key, _fingerprint(scope, body))
        except ProblemError as exc:  # the database is down: this runs outside the app's problem handlers
            early = problem_response(exc.status, exc.detail, slug=exc.slug, headers=exc.headers)
        if isinstance(early, Response):
            return await early(scope, receive, send)
        captured = _Captured(send)
        marking = COMMIT_MARK.set(KeyClaim(state.database, state.idempotency_table, owner, key, early))
        try:
            await self.app(scope, replay_body(body), captured.send)
        finally:
            COMMIT_MARK.reset(marking)
            try:
                await self._settle(state, owner, key, captured)
            except ProblemError:
                # The answer is sent; the key stays in flight, so a retry gets 409 until it counts as abandoned.
                logger.warning(
                    "Idempotency-Key %r of %s: the database went away before the answer was kept", key, owner
                )

    async def _claim(self, state: Any, owner: str, key: str, fingerprint: str) -> Response | datetime:
        """The answer to give at once, or the moment this request claimed the key and should run."""
        table = state.idempotency_table
        now, where = clock.now(), (table.c.scope == owner, table.c.key == key)
        async with state.database.transaction() as conn:
            found = await conn.execute(select(table).where(*where))
            row = found.mappings().first()
            if row is None:
                try:
                    async with conn.begin_nested():
                        await conn.execute(
                            table.insert().values(
                                scope=owner, key=key, fingerprint=fingerprint, completed=False, created_at=now
                            )
                        )
                except IntegrityError:
                    return _in_flight()
                return now
            refusal = _refusal(state.response_box, row, fingerprint, now)
            if refusal is not None:
                return refusal
            held = (table.c.created_at == row["created_at"], table.c.wrote_at.is_(None))  # by no other since
            taken = await conn.execute(update(table).where(*where, *held).values(created_at=now))
            return now if taken.rowcount == 1 else _in_flight()

    async def _settle(self, state: Any, owner: str, key: str, captured: _Captured) -> None:
        table = state.idempotency_table
        where = (table.c.scope == owner, table.c.key == key)
        async with state.database.transaction() as conn:
            if captured.status >= 500:
                # If nothing was written the client may retry for real; if something was, the failure is kept and
                # a retry is told the outcome is unknown instead of being run twice.
                await conn.execute(delete(table).where(*where, table.c.wrote_at.is_(None)))
                await conn.execute(update(table).where(*where).values(status_code=captured.status))
            else:
                kept = [
                    [k.decode("latin-1"), v.decode("latin-1")]
                    for k, v in captured.headers
                    if k.decode("latin-1").lower() in _REPLAYED_HEADERS
                ]
                await conn.execute(
                    update(table)
                    .where(*where)
                    .values(
                        completed=True,
                        status_code=captured.status,
                        headers=dumps(kept),
                        body=state.response_box.seal_bytes(bytes(captured.body)),
                    )
                )
            if time.monotonic() - self._last_purge > 600:
                self._last_purge = time.monotonic()
                await conn.execute(delete(table).where(table.c.created_at < clock.now() - RETENTION))


class _Captured:
    """The answer as it is sent on (`send`), kept to be replayed."""

    __slots__ = ("_send", "body", "headers", "status")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 500
        self.headers: Sequence[tuple[bytes, bytes]] = ()
        self.body = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = message.get("headers", [])
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
        await self._send(message)


def _fingerprint(scope: Scope, body: bytes) -> str:
    """What makes two requests with one key the same request: method, path, query and body."""
    request = [scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body]
    return hashlib.sha256(b"\n".join(request)).hexdigest()


def _refusal(box: SecretBox, row: RowMapping, fingerprint: str, now: datetime) -> Response | None:
    """The answer to a request whose key is already held, or None when its holder is abandoned (take it over)."""
    if row["fingerprint"] != fingerprint:
        return problem_response(
            422, "This Idempotency-Key was already used with a different request.", slug="idempotency-key-reused"
        )
    if row["completed"]:
        return _replay(box, row)
    abandoned = now - row["created_at"] >= ABANDONED_AFTER
    if row["wrote_at"] is not None and (abandoned or row["status_code"] is not None):
        return _outcome_unknown()
    return None if abandoned else _in_flight()


def _caller(scope: Scope) -> str:
    """Whose key this is: the caller's whole identity, else anonymous. A unit's token and a viewer's, or two units',
    with one subject are two callers (a replay would hand one what only the other may read); a digest of it when it
    is longer than the column (a subject may take all 255 characters)."""
    principal = scope_principal(scope)
    owner = "anonymous" if principal is None else f"{principal.role}:{principal.unit_id or ''}:{principal.subject}"
    return owner if len(owner) <= OWNER_LENGTH else hashlib.sha256(owner.encode()).hexdigest()


def _bad_key() -> Response:
    return problem_response(
        400, f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.", slug="bad-idempotency-key"
    )


def _in_flight() -> Response:
    return problem_response(
        409,
        "A request with this Idempotency-Key is still being processed; retry shortly.",
        slug="idempotency-key-in-flight",
        headers={"Retry-After": "1"},
    )


def _outcome_unknown() -> Response:
    return problem_response(
        409,
        "The first request with this Idempotency-Key changed data but ended before its answer was kept, so it "
        "is not run again; read the resource to see what it did.",
        slug="idempotency-key-outcome-unknown",
    )


def _replay(box: SecretBox, row: Any) -> Response:
    headers = {k: v for k, v in loads(row["headers"] or b"[]")}
    headers["Idempotent-Replayed"] = "true"
    media_type = headers.pop("content-type", None)
    return Response(_opened(box, row["body"]), status_code=row["status_code"], headers=headers, media_type=media_type)


def _opened(box: SecretBox, stored: bytes | None) -> bytes:
    """A kept answer, sealed because it may hold a secret shown once (a webhook's whsec_…, a feed token)."""
    if not stored:
        return b""
    try:
        return box.open_bytes(stored)
    except InvalidToken:  # kept before answers were sealed (they expire within RETENTION)
        return stored


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)
