"""The change log as a hash chain (审计链): each row carries the SHA-256 of its content and of the row before it in the
chain, so a row changed or deleted afterwards is detectable (`duban audit verify`).

A row joins the chain when its transaction commits, not when it is written: `record_change` notes the row, and
`Database.transaction` seals the transaction's rows just before COMMIT, holding the chain's writer lock (PostgreSQL:
a transaction-scoped advisory lock; SQLite has one writer anyway). Sealing last means the lock is the last thing a
transaction waits for, so it can never be part of a deadlock, and the chain's order (`chain_seq`) is the order in
which transactions committed, which ids (handed out at INSERT) are not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any, cast

import sqlalchemy as sa
from alembic.operations import Operations
from sqlalchemy import Connection, Select, Table, Update, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.dialect import dialect_of
from services.common.history import ChangeRow, change_log_table, take_pending
from services.common.json import instant_text
from services.common.records import plain_rows

CHAIN_LOCK = 0x6475_6261_6E00_0001  # "duban", 1: the change log's writer lock
GENESIS = "0" * 64  # what the first row of a chain links to
BATCH = 1000


class ChainRow(ChangeRow):
    """A change-log row with its place in the chain."""

    chain_seq: int | None
    hash: str | None


def link_hash(previous: str, row: ChangeRow) -> str:
    """The row's hash: SHA-256 of the previous hash and the row's content in one canonical JSON form (keys sorted,
    no spaces, UTF-8). The form is part of the stored data: changing it breaks every chain already written."""
    at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=UTC)  # SQLite's UTC, read without its offset
    content = [previous, row["entity"], row["entity_id"], row["action"], row["actor"], instant_text(at)]
    canonical = json.dumps([*content, row["changes"]], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _rows(conn: AsyncConnection, query: Select[Any]) -> list[ChainRow]:
    return cast("list[ChainRow]", plain_rows(await conn.execute(query)))


async def seal_pending(conn: AsyncConnection) -> None:
    """Chain the rows this transaction wrote, after the chain's current end, in the order they were written."""
    pending = take_pending(conn)
    if not pending:
        return
    table = pending[0][0]
    await dialect_of(conn).writer_lock(conn, CHAIN_LOCK)
    tail = (
        await conn.execute(
            select(table.c.chain_seq, table.c.hash)
            .where(table.c.chain_seq.is_not(None))
            .order_by(table.c.chain_seq.desc())
            .limit(1)
        )
    ).first()
    seq, previous = (tail[0], tail[1]) if tail is not None else (0, GENESIS)
    sealed, _, _ = _links(seq, previous, (row for _, row in pending))
    await conn.execute(_seal_statement(table), sealed)


def _links(seq: int, previous: str, rows: Iterable[ChangeRow]) -> tuple[list[dict[str, object]], int, str]:
    """Each row's place and hash after the chain's end (`seq`, `previous`), in the order given; and the new end."""
    sealed: list[dict[str, object]] = []
    for row in rows:
        seq, previous = seq + 1, link_hash(previous, row)
        sealed.append({"row_id": row["id"], "seq": seq, "link": previous})
    return sealed, seq, previous


def chain_existing(bind: Connection, table: Table) -> None:
    """Chain the rows written before the chain existed, in id order (a migration step; nothing else writes then)."""
    seq, previous, after = 0, GENESIS, 0
    while rows := cast(
        "list[ChainRow]",
        [
            dict(row)
            for row in bind.execute(
                select(table).where(table.c.id > after).order_by(table.c.id).limit(BATCH)
            ).mappings()
        ],
    ):
        sealed, seq, previous = _links(seq, previous, rows)
        bind.execute(_seal_statement(table), sealed)
        after = rows[-1]["id"]


def _seal_statement(table: Table) -> Update:
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(chain_seq=bindparam("seq"), hash=bindparam("link"))
    )


def add_chain(op: Operations) -> None:
    """The migration step of every service: the chain's columns and the audit's indexes, the old rows chained."""
    with op.batch_alter_table("change_log") as batch:
        batch.add_column(sa.Column("chain_seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
    op.create_index("ux_change_log_chain_seq", "change_log", ["chain_seq"], unique=True)
    op.create_index("ix_change_log_actor", "change_log", ["actor", "id"])
    op.create_index("ix_change_log_at", "change_log", ["at", "id"])
    chain_existing(op.get_bind(), change_log_table(sa.MetaData()))


def drop_chain(op: Operations) -> None:
    for index in ("ix_change_log_at", "ix_change_log_actor", "ux_change_log_chain_seq"):
        op.drop_index(index, table_name="change_log")
    with op.batch_alter_table("change_log") as batch:
        batch.drop_column("hash")
        batch.drop_column("chain_seq")


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What `duban audit verify` found: how many rows it checked, and the first broken one, if any."""

    rows: int
    broken_id: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_id is None


async def verify_chain(conn: AsyncConnection, table: Table) -> ChainReport:
    """Walk the chain in its order, recomputing each hash: the first row whose hash or position does not follow
    from the one before (changed, or the one before it deleted) is named; so is a row left out of the chain."""
    unsealed = (
        await conn.execute(select(table.c.id).where(table.c.chain_seq.is_(None)).order_by(table.c.id).limit(1))
    ).scalar()
    checked, previous = 0, GENESIS
    async for row in _in_chain_order(conn, table):
        checked += 1
        if row["chain_seq"] != checked:
            return ChainReport(checked, row["id"], f"chain position {row['chain_seq']}, expected {checked}")
        link = link_hash(previous, row)
        if row["hash"] != link:
            return ChainReport(checked, row["id"], "its hash does not follow from its content and the row before")
        previous = link
    if unsealed is not None:
        return ChainReport(checked, int(unsealed), "it is not in the chain")
    return ChainReport(checked)


async def _in_chain_order(conn: AsyncConnection, table: Table) -> AsyncIterator[ChainRow]:
    after = 0
    while True:
        rows = await _rows(
            conn, select(table).where(table.c.chain_seq > after).order_by(table.c.chain_seq).limit(BATCH)
        )
        for row in rows:
            yield row
        if len(rows) < BATCH:
            return
        after = rows[-1]["chain_seq"] or 0
