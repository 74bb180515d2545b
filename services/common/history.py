"""Change history (变更记录): every change to a record, with who, when and what changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypedDict, cast

from pydantic import BaseModel, Field
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ColumnElement,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.json import JsonObject, instant_text


class Change(BaseModel):
    """One change: who made it, when, and each field's old and new value."""

    id: int
    entity: str = Field(description="The kind of record that changed.")
    entity_id: int = Field(description="Id of the record that changed.")
    action: str = Field(description="What happened: created, updated or deleted (操作).")
    actor: str
    at: datetime
    changes: dict[str, Any] = Field(description="The fields that changed, each with its old and new value (变更内容).")


class ChangeRow(TypedDict):
    """A row of the change log, as history_of reads it (the columns of change_log_table)."""

    id: int
    entity: str
    entity_id: int
    action: str
    actor: str
    at: datetime
    changes: JsonObject


# conn.info key: the change-log rows this transaction wrote, which join the hash chain when it commits
# (services/common/audit_chain.py).
_PENDING = "duban.change_log.pending"


def note_pending(conn: AsyncConnection, table: Table, row: ChangeRow) -> None:
    """Keep the row as written: the chain hashes it at commit without reading it back."""
    conn.info.setdefault(_PENDING, []).append((table, row))


def take_pending(conn: AsyncConnection) -> list[tuple[Table, ChangeRow]]:
    """The rows noted in this transaction, forgotten here (conn.info outlives the transaction in the pool)."""
    pending: list[tuple[Table, ChangeRow]] = conn.info.pop(_PENDING, [])
    return pending


def change_log_table(metadata: MetaData) -> Table:
    return Table(
        "change_log",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("entity", String(40), nullable=False),
        Column("entity_id", BigInteger, nullable=False),
        Column("action", String(20), nullable=False),
        Column("actor", String(255), nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("changes", JSON, nullable=False),
        # The hash chain (services/common/audit_chain.py): set when the row's transaction commits.
        Column("chain_seq", BigInteger, nullable=True),
        Column("hash", String(64), nullable=True),
        Index("ix_change_log_entity", "entity", "entity_id", "id"),
        Index("ux_change_log_chain_seq", "chain_seq", unique=True),
        Index("ix_change_log_actor", "actor", "id"),
        Index("ix_change_log_at", "at", "id"),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return instant_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):  # exact, as the API writes it ("2.50")
        return str(value)
    return value


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, list[Any]]:
    """Field → [old, new] for every field that differs (bookkeeping fields left out)."""
    before, after = before or {}, after or {}
    skip = {"version", "updated_at", "created_at"}
    keys = [k for k in {**before, **after} if k not in skip]
    return {k: [_plain(before.get(k)), _plain(after.get(k))] for k in keys if before.get(k) != after.get(k)}


async def record_change(
    conn: AsyncConnection,
    table: Table,
    *,
    entity: str,
    entity_id: int,
    action: str,
    actor: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Append one history entry in the caller's transaction, so it commits or rolls back with the change."""
    changes = cast("JsonObject", diff(before, after))  # plain values: _plain turned the rest into text
    if action == "update" and not changes:
        return
    row = ChangeRow(
        id=0, entity=entity, entity_id=entity_id, action=action, actor=actor, at=clock.now(), changes=changes
    )
    written = await conn.execute(
        table.insert().values({k: v for k, v in row.items() if k != "id"}).returning(table.c.id)
    )
    note_pending(conn, table, {**row, "id": written.scalar_one()})


async def history_of(
    conn: AsyncConnection, table: Table, *, entity: str, entity_id: int, after_id: int | None, limit: int
) -> list[ChangeRow]:
    where = [table.c.entity == entity, table.c.entity_id == entity_id]
    return await changes_after(conn, table, where, after_id, limit + 1)


async def changes_after(
    conn: AsyncConnection, table: Table, where: Sequence[ColumnElement[bool]], after_id: int | None, limit: int
) -> list[ChangeRow]:
    """Up to `limit` rows of the change log matching `where`, in id order after `after_id`: the one read behind a
    record's history, the audit and its CSV."""
    query = select(table).where(*where).order_by(table.c.id).limit(limit)
    if after_id is not None:
        query = query.where(table.c.id > after_id)
    return cast("list[ChangeRow]", [dict(r) for r in (await conn.execute(query)).mappings()])
