"""The audit (审计) of a service: every change to its records, filtered by actor, kind of record, operation and time,
a page at a time or as one CSV download; for the office.

No `from __future__ import annotations` here: FastAPI reads the routes' annotations, and the entity enum is a
parameter of the factory, which it could not resolve from a string."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Protocol, cast

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, Field
from sqlalchemy import ColumnElement, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.audit_chain import ChainRow
from services.common.auth import Staff
from services.common.csv_stream import CSV_MEDIA_TYPE, UTF8_BOM, Row, csv_stream
from services.common.db import Database
from services.common.deps_factory import get_database
from services.common.documents import attachment
from services.common.history import Change, changes_after
from services.common.json import dumps, instant_text
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of
from services.common.routing import READ_ERRORS

CSV_BATCH = 1000
CSV_HEADERS = ("id", "at", "actor", "entity", "entity_id", "action", "changes", "chain_seq", "hash")
# The documented body: an audit without changes, its header row alone.
CSV_BODY = {"schema": {"type": "string"}, "example": UTF8_BOM + ",".join(CSV_HEADERS) + "\r\n"}


class Action(StrEnum):
    """The operations the change log records (操作)."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    APPEND = "append"


class AuditEntry(Change):
    """A change with its place in the hash chain (审计链)."""

    chain_seq: int | None = Field(description="Position in the hash chain; null until its transaction committed.")
    hash: str | None = Field(description="SHA-256 of the entry and the one before it in the chain (hex).")


Database_ = Annotated[Database, Depends(get_database)]
Actor = Annotated[str | None, Query(min_length=1, max_length=255, description="Only changes made by this actor.")]
Since = Annotated[AwareDatetime | None, Query(description="Only changes at or after this instant (RFC 3339).")]
Until = Annotated[AwareDatetime | None, Query(description="Only changes before this instant (RFC 3339).")]
Operation = Annotated[Action | None, Query(alias="action", description="Only this operation.")]


class AuditFilters(Protocol):
    def where(self) -> list[ColumnElement[bool]]: ...


def audit_query(change_log: Table, entities: type[StrEnum]) -> type[AuditFilters]:
    """The filters of both routes, as one dependency: FastAPI reads them from the class's fields."""

    @dataclass
    class AuditQuery(AuditFilters):
        actor: Actor = None
        entity: Annotated[entities | None, Query(description="Only this kind of record.")] = None  # type: ignore[valid-type]
        action: Operation = None
        since: Since = None
        until: Until = None

        def where(self) -> list[ColumnElement[bool]]:
            table, where = change_log.c, []
            for column, value in (("actor", self.actor), ("entity", self.entity), ("action", self.action)):
                if value is not None:
                    where.append(table[column] == str(value))
            if self.since is not None:
                where.append(table.at >= self.since)
            if self.until is not None:
                where.append(table.at < self.until)
            return where

    return AuditQuery


def add_audit_routes(router: APIRouter, change_log: Table, entities: type[StrEnum]) -> None:
    """GET /audit (a page) and GET /audit.csv (everything), with the same filters."""

    Filters = Annotated[AuditFilters, Depends(audit_query(change_log, entities))]

    @router.get("/audit", summary="Every change to this service's records, oldest first", responses=READ_ERRORS)
    async def list_audit(
        request: Request,
        response: Response,
        db: Database_,
        _: Staff,
        filters: Filters,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[AuditEntry]:
        async with db.read() as conn:
            rows = await _after(conn, change_log, filters.where(), decode_id_cursor(cursor), limit + 1)
        return page_of(Page[AuditEntry], rows, limit, request, response)

    @router.get(
        "/audit.csv",
        summary="The audit as CSV (UTF-8), streamed",
        response_class=StreamingResponse,
        responses={
            200: {"description": "The audit as CSV (UTF-8), streamed.", "content": {"text/csv": CSV_BODY}},
            **READ_ERRORS,
        },
    )
    async def export_audit(db: Database_, _: Staff, filters: Filters) -> StreamingResponse:
        return StreamingResponse(
            csv_stream(CSV_HEADERS, _csv_batches(db, change_log, filters.where())),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": attachment("audit.csv", "审计记录.csv")},
        )


async def _after(
    conn: AsyncConnection, table: Table, where: list[ColumnElement[bool]], after_id: int | None, limit: int
) -> list[ChainRow]:
    return cast("list[ChainRow]", await changes_after(conn, table, where, after_id, limit))


async def _csv_batches(db: Database, table: Table, where: list[ColumnElement[bool]]) -> AsyncIterator[list[Row]]:
    """A batch at a time, each on its own read: no connection is held while the client takes the download."""
    after: int | None = None
    while True:
        async with db.read() as conn:
            rows = await _after(conn, table, where, after, CSV_BATCH)
        yield [_csv_row(row) for row in rows]
        if len(rows) < CSV_BATCH:
            return
        after = rows[-1]["id"]


def _csv_row(row: ChainRow) -> Row:
    return (
        row["id"],
        instant_text(row["at"]),
        row["actor"],
        row["entity"],
        row["entity_id"],
        row["action"],
        dumps(row["changes"]).decode(),
        row["chain_seq"],
        row["hash"],
    )
