"""A file a job writes for a request to stream (a ledger export): the job appends its bytes as CHUNK_BYTES chunks
to the service's `export_chunks` table as it writes them, and the request streams each chunk as soon as it is
there, then deletes it. Both databases, any number of processes, no shared disk.

A chunk is appended only while its job runs: a job whose request went away (and deleted it) stops at its next
chunk. Chunks left behind by a process that died are deleted by the worker once older than KEEP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import MetaData, Table, select

from services.common import clock
from services.common.db import Database
from services.common.job_requests import POLL_SECONDS, Outcome, wait_for
from services.common.jobs import DONE, RUNNING

CHUNK_BYTES = 256 * 1024
KEEP = timedelta(hours=1)
SWEEP_EVERY_SECONDS = 600.0


def export_chunks_table(metadata: MetaData) -> Table:
    return Table(
        "export_chunks",
        metadata,
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


class Abandoned(Exception):
    """The job's request went away: nobody will stream what it writes."""


class ChunkWriter:
    """Appends the bytes of job `job_id` to `chunks` in CHUNK_BYTES pieces; `close()` appends the rest and says
    how many chunks there are."""

    def __init__(self, db: Database, chunks: Table, jobs: Table, job_id: int) -> None:
        self._db, self._chunks, self._jobs, self._job_id = db, chunks, jobs, job_id
        self._buffer = bytearray()
        self._seq = 0

    async def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= CHUNK_BYTES:
            await self._append(bytes(self._buffer[:CHUNK_BYTES]))
            del self._buffer[:CHUNK_BYTES]

    async def close(self) -> int:
        if self._buffer or self._seq == 0:
            await self._append(bytes(self._buffer))
            self._buffer.clear()
        return self._seq

    async def _append(self, data: bytes) -> None:
        j = self._jobs.c
        async with self._db.transaction() as conn:
            running = await conn.scalar(select(j.id).where(j.id == self._job_id, j.status == RUNNING))
            if running is None:
                raise Abandoned(f"job {self._job_id} is no longer running; its export is dropped")
            row = {"job_id": self._job_id, "seq": self._seq, "data": data, "created_at": clock.now()}
            await conn.execute(self._chunks.insert().values(**row))
        self._seq += 1


async def next_chunk(db: Database, chunks: Table, jobs: Table, job_id: int, seq: int) -> bytes | Outcome:
    """Chunk `seq` of the job's file once it is there; else how the job ended (done: there is no such chunk)."""
    c = chunks.c
    while True:
        async with db.read() as conn:
            data = await conn.scalar(select(c.data).where(c.job_id == job_id, c.seq == seq))
        if data is not None:
            return bytes(data)
        ended = await wait_for(db, jobs, job_id, within=0)
        if ended is not None and (ended.status != DONE or seq >= (ended.result or {}).get("chunks", 0)):
            return ended
        if ended is None:
            await asyncio.sleep(POLL_SECONDS)


async def stream(db: Database, chunks: Table, jobs: Table, job_id: int, first: bytes) -> AsyncIterator[bytes]:
    """The job's file from its first chunk (already read) on, each chunk deleted once sent; at the end, or when
    the client goes away, the job and whatever it left are deleted. A job that fails midway cuts the stream."""
    c = chunks.c
    try:
        data, seq = first, 0
        while True:
            yield data
            async with db.transaction() as conn:
                await conn.execute(chunks.delete().where(c.job_id == job_id, c.seq == seq))
            seq += 1
            found = await next_chunk(db, chunks, jobs, job_id, seq)
            if isinstance(found, Outcome):
                if found.status != DONE:
                    raise RuntimeError(f"the export (job {job_id}) failed midway: {found.error}")
                return
            data = found
    finally:
        await discard(db, chunks, jobs, job_id)


async def discard(db: Database, chunks: Table, jobs: Table, job_id: int) -> None:
    """Delete the job and its chunks: its request has what it needs, or went away (a job still running stops at
    its next chunk)."""
    async with db.transaction() as conn:
        await conn.execute(jobs.delete().where(jobs.c.id == job_id))
        await conn.execute(chunks.delete().where(chunks.c.job_id == job_id))


async def sweep(db: Database, chunks: Table) -> int:
    """Delete chunks older than KEEP (their stream was cut off by a process that died); how many."""
    async with db.transaction() as conn:
        done = await conn.execute(chunks.delete().where(chunks.c.created_at < clock.now() - KEEP))
    return done.rowcount
