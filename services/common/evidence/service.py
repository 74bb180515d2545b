"""The evidence rules every owner shares: streamed upload (no transaction open while the bytes flow), listing,
reading, download and deletion; and the owner seam a service fills in for each kind of owner.

An owner (a report, a close-out request, an instruction) is read and authorised by its service before anything is
streamed (`OwnerLoader`); the short transaction that writes the row then locks it again (`Owner.lock`), which refuses
(409) when its evidence froze meanwhile. A file is frozen once its owner moved on to a later stage (a report
submitted since the file was attached) or closed: it can no longer be deleted, and nothing can be added.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.auth import Principal
from services.common.db import Database
from services.common.evidence.sniff import Inspection
from services.common.evidence.storage import BlobStore
from services.common.evidence.table import EvidenceRow
from services.common.problems import Conflict, NotFound, ProblemError
from services.common.records import Records, rows_of

Lock = Callable[[AsyncConnection], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Owner:
    """What evidence is attached to, as its service read it for the caller."""

    kind: str  # report, closeout, instruction
    id: int
    unit_id: int | None  # the unit whose evidence it is
    stage: int  # the owner's stage as read (a report's submissions)
    open: bool  # whether it takes evidence now (a draft or returned report, a pending close-out request)
    lock: Lock  # in a write's transaction: lock the owner; its stage, or 409 when it takes no evidence now

    def frozen(self, row: EvidenceRow) -> bool:
        return not self.open or row["owner_stage"] != self.stage


# (owner id, caller, for a write) -> the owner; 404 or 403 when the caller may not see (write) it, 409 when closed.
OwnerLoader = Callable[[int, Principal, bool], Awaitable[Owner]]


class IdempotencyKeyReused(ProblemError):
    status = 422
    slug = "idempotency-key-reused"


def closed(owner: str) -> Conflict:
    return Conflict(f"The evidence of {owner} can no longer change (it was submitted or decided).")


@dataclass(frozen=True, slots=True)
class Evidence:
    """A service's evidence: its database, its table's records and the store of the bytes."""

    db: Database
    store: BlobStore
    records: Records[EvidenceRow]
    max_bytes: int

    async def upload(
        self, owner: Owner, body: AsyncIterator[bytes], *, filename: str, actor: str, idempotency_key: str | None
    ) -> tuple[EvidenceRow, bool]:
        """Store the body, then write its row; (the row, whether it replays an earlier upload with the same key)."""
        inspection = Inspection(filename, self.max_bytes)
        key = f"{owner.kind}/{owner.id}/{secrets.token_hex(16)}"
        stored = await self.store.put(key, inspection.chunks(body))
        try:
            async with self.db.transaction() as conn:
                stage = await owner.lock(conn)
                earlier = await self._earlier(conn, actor, idempotency_key)
                if earlier is None:
                    values = {
                        "owner_kind": owner.kind,
                        "owner_id": owner.id,
                        "owner_stage": stage,
                        "unit_id": owner.unit_id,
                        "filename": filename,
                        "media_type": inspection.media_type,
                        "size": stored.size,
                        "sha256": stored.sha256,
                        "storage_key": key,
                        "idempotency_key": idempotency_key,
                        "created_by": actor,
                    }
                    return await self.records.insert(conn, values, actor=actor), False
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.store.delete(key)  # no row names it: never an orphan
            raise
        await self.store.delete(key)
        same = (earlier["owner_kind"], earlier["owner_id"], earlier["filename"], earlier["sha256"])
        if same != (owner.kind, owner.id, filename, stored.sha256):
            raise IdempotencyKeyReused("This Idempotency-Key was already used with a different upload.")
        return earlier, True

    async def _earlier(self, conn: AsyncConnection, actor: str, key: str | None) -> EvidenceRow | None:
        if key is None:
            return None
        table = self.records.table
        query = select(table).where(table.c.created_by == actor, table.c.idempotency_key == key)
        found = await rows_of(conn, query, EvidenceRow)
        return found[0] if found else None

    async def page(self, owner: Owner, *, after_id: int | None, limit: int) -> list[EvidenceRow]:
        """The owner's files, oldest first (`limit + 1` rows, for the page and its cursor)."""
        table = self.records.table
        where = (table.c.owner_kind == owner.kind, table.c.owner_id == owner.id)
        async with self.db.read() as conn:
            return await self.records.page(conn, where=where, after_id=after_id, limit=limit)

    async def row(self, evidence_id: int) -> EvidenceRow:
        async with self.db.read() as conn:
            return await self.records.get(conn, evidence_id)

    async def remove(self, owner: Owner, row: EvidenceRow, *, version: int, actor: str) -> None:
        """Delete a file not frozen yet: its row in a short transaction, then its bytes."""
        async with self.db.transaction() as conn:
            await self.records.get_at(conn, row["id"], version)  # a stale If-Match is 412 before any other rule
            if await owner.lock(conn) != row["owner_stage"]:
                raise Conflict(f"Evidence {row['id']} is part of a submission; it stays on record.")
            await self.records.delete(conn, row["id"], expected_version=version, actor=actor)
        await self.store.delete(row["storage_key"])

    async def content(self, row: EvidenceRow) -> AsyncIterator[bytes]:
        return await self.store.get(row["storage_key"])


@dataclass(frozen=True, slots=True)
class EvidenceAccess:
    """One request's view of a service's evidence: the caller, and how each kind of owner is read for them."""

    evidence: Evidence
    principal: Principal
    owners: Mapping[str, OwnerLoader]

    async def owner(self, kind: str, owner_id: int, *, write: bool) -> Owner:
        return await self.owners[kind](owner_id, self.principal, write)

    async def of(self, evidence_id: int, *, write: bool) -> tuple[EvidenceRow, Owner]:
        """A file and its owner, if the caller may see (write) them; another unit's file is 404, as if absent."""
        row = await self.evidence.row(evidence_id)
        if row["owner_kind"] not in self.owners:
            raise NotFound(f"Evidence {evidence_id} does not exist.")
        return row, await self.owner(row["owner_kind"], row["owner_id"], write=write)
