"""The search tables (检索索引): beside each table a service searches, `<record>_search` holds each record's words.

A search table's row: `record_id`, the record's id (a foreign key: the row goes with its record, cascades included),
and `words`, the words its texts are indexed under (services/common/segment.py). It is written in the transaction of
every write of its record: `Records` with an `Indexed` (services/common/records.py), imports and bulk loads through
`Indexed.put`, and the migration that adds it fills it for the rows already there (`add_search_table`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, Table, Text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.dialect import copy_rows, dialect_of
from services.common.search_sql import words_index
from services.common.segment import index_words

BATCH = 2000  # rows a statement writes, and a migration reads
_COPY_FROM = 100  # a batch this large is COPYed where the database can


def search_table(metadata: MetaData, name: str, source: str, scope: str | None = None) -> Table:
    """The search table `name` of the records of table `source`; `scope`, a column of the records that never
    changes and says who sees them (a report's unit), copied beside the words and indexed with the ids, so that a
    search within it reads the search table alone (its hits among the scope's, or the scope's rows newest first)."""
    record = Column(
        "record_id", Integer, ForeignKey(f"{source}.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    words = Column("words", Text, nullable=False)
    scoped = () if scope is None else (Column(scope, Integer, nullable=False), Index(scope_index(name), scope, record))
    return Table(name, metadata, record, words, words_index(f"ix_{name}_words"), *scoped)


def scope_index(name: str) -> str:
    return f"ix_{name}_scope"


def search_entry(row: Mapping[str, Any], columns: Iterable[str], scope: str | None = None) -> dict[str, object]:
    """The search row of a record: a row with its id, its text `columns` (and its `scope`)."""
    entry = {"record_id": row["id"], "words": index_words(row.get(column) for column in columns)}
    return entry if scope is None else {**entry, scope: row[scope]}


@dataclass(frozen=True, slots=True)
class Indexed:
    """What a searched table gives its search table: the columns of its text, in the order a snippet reads them."""

    table: Table
    columns: tuple[str, ...]
    scope: str | None = None  # the scope column search_table copied, if any

    def entry(self, row: Mapping[str, Any]) -> dict[str, object]:
        """The search row of a record (a row with its id and text columns, and its scope)."""
        return search_entry(row, self.columns, self.scope)

    def touched(self, changes: Iterable[str]) -> bool:
        """Whether a change of these columns changes the record's words."""
        return not set(self.columns).isdisjoint(changes)

    async def put(self, conn: AsyncConnection, rows: Sequence[Mapping[str, Any]], *, new: bool = False) -> None:
        """Index the records (`new`: none of them is indexed yet), in the caller's transaction."""
        for start in range(0, len(rows), BATCH):
            entries = [self.entry(row) for row in rows[start : start + BATCH]]
            if not new:
                ids = [entry["record_id"] for entry in entries]
                await conn.execute(self.table.delete().where(self.table.c.record_id.in_(ids)))
            if dialect_of(conn).copies and len(entries) >= _COPY_FROM:
                await copy_rows(conn, self.table, entries, list(entries[0]))
            else:
                await conn.execute(self.table.insert(), entries)


def add_search_table(op: Any, name: str, source: str, columns: Sequence[str], *, texted: bool = False) -> None:
    """A migration step: create the search table `name` of table `source`, fill it from the records already there,
    `columns` their text (in batches: a province's million reports are never held at once), then index it (an index
    built once over the rows is far cheaper than one kept up row by row). `texted`: only the records with some
    text have a row (a version's review comment: one version in ten)."""
    op.create_table(
        name,
        sa.Column("record_id", sa.Integer(), sa.ForeignKey(f"{source}.id", ondelete="CASCADE"), autoincrement=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("record_id"),
    )
    bind = op.get_bind()
    records = sa.table(source, sa.column("id", sa.Integer), *(sa.column(c, sa.Text) for c in columns))
    target = sa.table(name, sa.column("record_id", sa.Integer), sa.column("words", sa.Text))
    after = 0
    while True:
        read = sa.select(records).where(records.c.id > after, *_texted(records, columns, texted))
        read = read.order_by(records.c.id).limit(BATCH)
        rows = bind.execute(read).mappings().all()
        if not rows:
            break
        bind.execute(target.insert(), [search_entry(row, columns) for row in rows])
        after = rows[-1]["id"]
    dialect_of(bind).words.create_index(op, f"ix_{name}_words", name)


def _texted(records: Any, columns: Sequence[str], texted: bool) -> list[sa.ColumnElement[bool]]:
    return [sa.or_(*(records.c[column] != "" for column in columns))] if texted else []


def drop_search_table(op: Any, name: str) -> None:
    """The downgrade of add_search_table (its index goes with it)."""
    op.drop_table(name)


def store_search_vector(op: Any, name: str) -> None:
    """A migration step: the search table `name` keeps the vector of its words (PostgreSQL), indexed in place of
    the expression add_search_table indexed (services/common/search_sql.py)."""
    dialect_of(op.get_bind()).words.store_vector(op, f"ix_{name}_words", name)


def add_search_scope(op: Any, name: str, source: str, scope: str, *, through: tuple[str, str] | None = None) -> None:
    """A migration step: the search table `name` of table `source` gets its `scope` (search_table), copied from the
    records already there, and indexed with the ids. `through`: the table that holds the scope and the column of
    `source` that names its row (a version's unit is its report's: ("reports", "report_id"))."""
    op.add_column(name, sa.Column(scope, sa.Integer(), nullable=True))
    if through is None:
        op.execute(f"UPDATE {name} SET {scope} = {source}.{scope} FROM {source} WHERE {source}.id = {name}.record_id")
    else:
        owner, link = through
        op.execute(
            f"UPDATE {name} SET {scope} = {owner}.{scope} FROM {source} JOIN {owner} ON {owner}.id = {source}.{link} "
            f"WHERE {source}.id = {name}.record_id"
        )
    with op.batch_alter_table(name) as batch:
        batch.alter_column(scope, existing_type=sa.Integer(), nullable=False)
    op.create_index(scope_index(name), name, [scope, "record_id"])
    if dialect_of(op.get_bind()).copies:
        op.execute(f"ANALYZE {name}")


def drop_search_scope(op: Any, name: str, scope: str) -> None:
    """The downgrade of add_search_scope."""
    op.drop_index(scope_index(name), table_name=name)
    with op.batch_alter_table(name) as batch:
        batch.drop_column(scope)


def unstore_search_vector(op: Any, name: str) -> None:
    """The downgrade of store_search_vector."""
    dialect_of(op.get_bind()).words.unstore_vector(op, f"ix_{name}_words", name)


def bound_search_pending(op: Any, names: Sequence[str]) -> None:
    """A migration step: the words indexes of search tables `names` keep few rows waiting (search_sql.PENDING_KB)."""
    for name in names:
        dialect_of(op.get_bind()).words.bound_pending(op, f"ix_{name}_words")


def unbound_search_pending(op: Any, names: Sequence[str]) -> None:
    """The downgrade of bound_search_pending."""
    for name in reversed(names):
        dialect_of(op.get_bind()).words.unbound_pending(op, f"ix_{name}_words")
