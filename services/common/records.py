"""Versioned records: get, page, insert, update and delete one table's rows with history and ETags.

Every mutable table carries `version`; an update is `UPDATE … WHERE id = :id AND version = :seen`,
so two concurrent edits cannot both win (the loser gets 412), whatever the database.

`Records[RowT]` hands out each row as `RowT`, the table's row as its repository declares it (a TypedDict: a plain
dict at run time, so no copy and no validation). The cast from the statement's row is made here, once, where the
row's columns are the table's (architecture §10).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

from sqlalchemy import ColumnElement, Executable, Result, Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.etag import stale
from services.common.history import record_change
from services.common.problems import Conflict, NotFound, Unprocessable

if TYPE_CHECKING:  # search_index writes through the dialect, which reads rows with this module
    from services.common.search_index import Indexed

# Covariant: a row type only comes out of Records, so Records[PlanRow] serves where any Records is read from.
RowT = TypeVar("RowT", bound=Mapping[str, Any], covariant=True)
ReadT = TypeVar("ReadT", bound=Mapping[str, Any])  # the row a statement reads (a TypedDict)
Where = Iterable[ColumnElement[bool]]
Columns = Sequence[Any]  # the columns of a page that holds less than whole rows


def plain_rows(result: Result[Any]) -> list[dict[str, object]]:
    """The result's rows as plain dicts, column name to value (the caller types them: it knows the statement).

    `dict(row)` over `.mappings()` builds a key view per row, which on a page or a plan's thousands of rows
    costs more than the query did; zipping each row with the keys read once is three to four times faster."""
    keys = list(result.keys())
    # No strict=: a row has one value per key by construction, and zip() with a keyword leaves CPython's fast call
    # path (twice the time of this loop, measured).
    return [dict(zip(keys, row)) for row in result]  # noqa: B905


async def rows_of(conn: AsyncConnection, query: Executable, row: type[ReadT]) -> list[ReadT]:
    """The query's rows as `row` rows, for a query that selects the row's columns (a whole table, or a join)."""
    return cast("list[ReadT]", plain_rows(await conn.execute(query)))


def plain_records(records: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    """Driver records (asyncpg's, read by name) as plain dicts, for an encoder that takes only dicts. asyncpg's items()
    runs in C: a 50-row page in 55 µs, against 72 µs zipping the keys read once and 79 µs for dict(record)."""
    return [dict(record.items()) for record in records]


def conflict_from(exc: IntegrityError, entity: str) -> Conflict:
    """A 409 that says which rule the write broke, without leaking SQL."""
    message = str(exc.orig).lower()
    if "unique" in message or "duplicate" in message:
        return Conflict(f"A {entity} with the same unique fields already exists.")
    if "foreign key" in message:
        return Conflict(f"The {entity} refers to a record that does not exist, or is still referred to.")
    return Conflict(f"The {entity} conflicts with existing data.")


def at_version(record: ReadT, version: int | None) -> ReadT:
    """A record read already, if it is at the `version` the caller saw (None: not asked); else 412."""
    if version is not None and record["version"] != version:
        raise stale(record["version"])
    return record


class Records(Generic[RowT]):
    """Access to one versioned table, recording every change in the service's change log."""

    def __init__(self, table: Table, entity: str, change_log: Table, *, indexed: Indexed | None = None) -> None:
        self.table = table
        self.indexed = indexed  # the search table kept current with each write (services/common/search_index.py)
        self.entity = entity
        self.change_log = change_log
        self.label = entity.replace("_", " ")

    async def find(self, conn: AsyncConnection, record_id: int) -> RowT | None:
        row = (await conn.execute(select(self.table).where(self.table.c.id == record_id))).mappings().first()
        return cast("RowT", dict(row)) if row else None

    async def get(self, conn: AsyncConnection, record_id: int) -> RowT:
        """The record, or 404."""
        record = await self.find(conn, record_id)
        if record is None:
            raise self.missing(record_id)
        return record

    def missing(self, record_id: int) -> NotFound:
        """The 404 of a record that does not exist; also the answer to a unit about another unit's record, which
        must read the same (README, Security: a 403 would tell it the id exists, and is someone else's)."""
        return NotFound(f"{self.label.capitalize()} {record_id} does not exist.")

    async def get_at(self, conn: AsyncConnection, record_id: int, version: int | None) -> RowT:
        """The record, if it is still at the version the caller read (If-Match); else 404 or 412. For changes that
        check other rules first: a failed precondition answers before them (RFC 9110 §13.2.2). None: a step that
        takes If-Match only when sent, sent without."""
        return at_version(await self.get(conn, record_id), version)

    @overload
    async def page(
        self, conn: AsyncConnection, *, where: Where = (), after_id: int | None, limit: int, columns: None = None
    ) -> list[RowT]: ...

    @overload
    async def page(
        self, conn: AsyncConnection, *, where: Where = (), after_id: int | None, limit: int, columns: Columns
    ) -> list[dict[str, object]]: ...

    async def page(
        self,
        conn: AsyncConnection,
        *,
        where: Where = (),
        after_id: int | None,
        limit: int,
        columns: Columns | None = None,
    ) -> list[RowT] | list[dict[str, object]]:
        """`limit + 1` rows in id order after the cursor (the extra row tells whether a next page exists): whole
        rows, or rows of just the `columns` given (which the caller types)."""
        query = select(*(columns or [self.table])).where(*where).order_by(self.table.c.id).limit(limit + 1)
        if after_id is not None:
            query = query.where(self.table.c.id > after_id)
        rows = plain_rows(await conn.execute(query))
        return rows if columns else cast("list[RowT]", rows)

    async def insert(self, conn: AsyncConnection, values: Mapping[str, Any], *, actor: str, version: int = 1) -> RowT:
        """Create the record at `version`: 1, or where it continues an earlier record's count of versions (an item's
        link after an unlink), so that no ETag of the earlier one is taken for it."""
        now = clock.now()
        row = {**values}
        for column, value in (("version", version), ("created_at", now), ("updated_at", now)):
            if column in self.table.c:
                row[column] = value
        try:
            result = await conn.execute(self.table.insert().values(**row).returning(*self.table.c))
        except IntegrityError as exc:
            raise conflict_from(exc, self.label) from exc
        created = cast("RowT", dict(result.mappings().one()))
        if self.indexed is not None:
            await self.indexed.put(conn, [created], new=True)
        await record_change(
            conn,
            self.change_log,
            entity=self.entity,
            entity_id=created["id"],
            action="create",
            actor=actor,
            after=created,
        )
        return created

    async def update(
        self,
        conn: AsyncConnection,
        record_id: int,
        changes: Mapping[str, Any],
        *,
        expected_version: int | None,
        actor: str,
    ) -> RowT:
        """Apply `changes` if the record is still at `expected_version` (None: unconditionally)."""
        before = await self.get(conn, record_id)
        if expected_version is not None and before["version"] != expected_version:
            raise stale(before["version"])
        required = [k for k, v in changes.items() if v is None and not self.table.c[k].nullable]
        if required:
            raise Unprocessable(f"{', '.join(required)} cannot be null.")
        changes = {k: v for k, v in changes.items() if before.get(k) != v}
        if not changes:
            return before
        after = await self.compare_and_set(conn, before, changes, actor=actor)
        if after is None:  # another transaction won the race between our read and our write
            raise stale(before["version"] + 1)
        return after

    def _unchanged(self, before: Mapping[str, Any], guard: Sequence[str]) -> list[ColumnElement[bool]]:
        """The WHERE of a compare-and-set: the row is still at the version (and the `guard` values) read."""
        seen = ("version", *guard) if "version" in self.table.c else guard
        return [self.table.c.id == before["id"], *(self.table.c[name] == before[name] for name in seen)]

    async def compare_and_set(
        self,
        conn: AsyncConnection,
        before: Mapping[str, Any],
        changes: Mapping[str, Any],
        *,
        actor: str,
        guard: Sequence[str] = (),
    ) -> RowT | None:
        """`UPDATE … WHERE id = :id AND version = :seen [AND guard = :seen …]` with `changes`; the row after, or
        None when another transaction changed the record since `before` was read (then nothing is written)."""
        values = {**changes, "version": before["version"] + 1}
        if "updated_at" in self.table.c:
            values["updated_at"] = clock.now()
        statement = self.table.update().where(*self._unchanged(before, guard)).values(**values).returning(*self.table.c)
        try:
            row = (await conn.execute(statement)).mappings().first()
        except IntegrityError as exc:
            raise conflict_from(exc, self.label) from exc
        if row is None:
            return None
        after = cast("RowT", dict(row))
        if self.indexed is not None and self.indexed.touched(changes):
            await self.indexed.put(conn, [after])
        await record_change(
            conn,
            self.change_log,
            entity=self.entity,
            entity_id=before["id"],
            action="update",
            actor=actor,
            before=before,
            after=after,
        )
        return after

    async def delete(
        self,
        conn: AsyncConnection,
        record_id: int,
        *,
        expected_version: int | None,
        actor: str,
        guard: Sequence[str] = (),
    ) -> None:
        """Delete the record if it is still as read here (its version, and the `guard` columns' values): a
        concurrent change between the read and the delete makes it 412, never a silent loss."""
        before = await self.get(conn, record_id)
        if expected_version is not None and before["version"] != expected_version:
            raise stale(before["version"])
        try:
            result = await conn.execute(self.table.delete().where(*self._unchanged(before, guard)))
        except IntegrityError as exc:
            raise conflict_from(exc, self.label) from exc
        if result.rowcount != 1:
            raise stale(before["version"] + 1)
        await record_change(
            conn, self.change_log, entity=self.entity, entity_id=record_id, action="delete", actor=actor, before=before
        )
