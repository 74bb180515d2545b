"""Records whose rows the checker knows: the statements of `Records`, each row typed as a repository's TypedDict.

A TypedDict row is a plain dict at run time, so typing costs nothing: no copy, no validation, orjson encodes it as
before. The cast is made here, once, where the row's columns are the table's (architecture §10)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import ColumnElement, Executable
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import Records, plain_rows

RowT = TypeVar("RowT", bound=Mapping[str, Any])


class TypedRecords(Generic[RowT]):
    """One versioned table's records as `RowT` rows (e.g. `TypedRecords(plan_records, PlanRow)`)."""

    def __init__(self, records: Records[Mapping[str, Any]], row: type[RowT]) -> None:
        self.records = records
        self.row = row

    async def find(self, conn: AsyncConnection, record_id: int) -> RowT | None:
        return cast(RowT | None, await self.records.find(conn, record_id))

    async def get(self, conn: AsyncConnection, record_id: int) -> RowT:
        """The record, or 404."""
        return cast(RowT, await self.records.get(conn, record_id))

    async def get_at(self, conn: AsyncConnection, record_id: int, version: int) -> RowT:
        """The record if still at `version`; else 404 or 412."""
        return cast(RowT, await self.records.get_at(conn, record_id, version))

    async def page(
        self,
        conn: AsyncConnection,
        *,
        where: Iterable[ColumnElement[bool]] = (),
        after_id: int | None,
        limit: int,
    ) -> list[RowT]:
        """`limit + 1` whole rows in id order after the cursor."""
        return cast(list[RowT], await self.records.page(conn, where=where, after_id=after_id, limit=limit))

    async def insert(self, conn: AsyncConnection, values: dict[str, Any], *, actor: str) -> RowT:
        return cast(RowT, await self.records.insert(conn, values, actor=actor))

    async def update(
        self,
        conn: AsyncConnection,
        record_id: int,
        changes: dict[str, Any],
        *,
        expected_version: int | None,
        actor: str,
    ) -> RowT:
        """Apply `changes` if the record is still at `expected_version` (None: unconditionally)."""
        row = await self.records.update(conn, record_id, changes, expected_version=expected_version, actor=actor)
        return cast(RowT, row)

    async def delete(
        self,
        conn: AsyncConnection,
        record_id: int,
        *,
        expected_version: int | None,
        actor: str,
        guard: Sequence[str] = (),
    ) -> None:
        await self.records.delete(conn, record_id, expected_version=expected_version, actor=actor, guard=guard)


async def rows_of(conn: AsyncConnection, query: Executable, row: type[RowT]) -> list[RowT]:
    """The query's rows as `row` rows, for a query that selects the row's columns (a whole table, or a join)."""
    return cast(list[RowT], plain_rows(await conn.execute(query)))
