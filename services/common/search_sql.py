"""How each database finds a search table's words (services/common/search_index.py); dialect.py hands each its own
(`Dialect.words`). The words are those of services/common/segment.py: runs of letters and digits, lower case,
separated by spaces.

PostgreSQL: full-text search with the `simple` configuration (no stemming, no stop words: a word is itself): each row
keeps its `to_tsvector('simple', words)` in a stored generated column, `vector`, with a GIN index, and the query's
words are ANDed by `plainto_tsquery`, which reads them with the
same parser (a word the parser splits is split alike on both sides). The query's words are written into the
statement, not bound: each query is planned for its own words (a word in every report walks the newest rows; a rare
one reads the index), where a prepared generic plan would pick one way for all. The stored vector, not an expression
of `words`, is what keeps the walk cheap: a row's check is a lookup in its vector instead of parsing its words again
(the office's reports, 1 M of them, went from seconds to milliseconds), and ANALYZE gathers the vector's word
frequencies, by which the planner picks the walk or the index. Words are letters and digits only
(checked here), so nothing but a word reaches the SQL.

SQLite, for development and the tests: each word compared with the row's words (` words ` LIKE `% word %`), the
same matches without an index."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Index,
    String,
    Table,
    and_,
    bindparam,
    func,
    literal,
    literal_column,
    text,
)

SIMPLE = "'simple'::regconfig"
_WORDS = re.compile(r"[^\W_]+( [^\W_]+)*")


VECTOR_OF_WORDS = f"to_tsvector({SIMPLE}, words)"
# kB of GIN's pending list (fastupdate: new rows' words wait there to be merged in bulk), at its smallest: every
# search reads the list whole, and at the default 4 MB that was 48,000 indicators' words read for each query.
PENDING_KB = 64


class WordsSql(Protocol):
    def match(self, index: Table, asked: Sequence[str]) -> ColumnElement[bool]:
        """The rows of search table `index` whose words hold every word `asked` (at least one)."""

    def create_index(self, op: Any, name: str, table: str) -> None:
        """Index a search table's words as the first search migrations did: by an expression (dropped with its
        table, or replaced by store_vector)."""

    def store_vector(self, op: Any, name: str, table: str) -> None:
        """A migration step: the search table keeps its vector, indexed as `name` in place of the expression."""

    def unstore_vector(self, op: Any, name: str, table: str) -> None:
        """The downgrade of store_vector."""

    def bound_pending(self, op: Any, name: str) -> None:
        """A migration step: the words index `name` keeps at most PENDING_KB waiting, and none now."""

    def unbound_pending(self, op: Any, name: str) -> None:
        """The downgrade of bound_pending."""


def words_index(name: str) -> Index:
    """A search table's index of its words as the models declare it: on PostgreSQL only (SQLite has none), over
    `vector`, the stored tsvector of its words, a column PostgreSQL computes and no model names (store_vector)."""
    pending = {"gin_pending_list_limit": PENDING_KB}
    return Index(name, literal_column("vector"), postgresql_using="gin", postgresql_with=pending).ddl_if(
        dialect="postgresql"
    )


class TsvectorWords:
    def match(self, index: Table, asked: Sequence[str]) -> ColumnElement[bool]:
        joined = " ".join(asked)
        if not _WORDS.fullmatch(joined):
            raise ValueError("search words are runs of letters and digits")
        query = func.plainto_tsquery(literal_column(SIMPLE), literal_column(f"'{joined}'"))
        return literal_column(f"{index.name}.vector").bool_op("@@")(query)

    def create_index(self, op: Any, name: str, table: str) -> None:
        op.create_index(name, table, [text(VECTOR_OF_WORDS)], postgresql_using="gin")

    def store_vector(self, op: Any, name: str, table: str) -> None:
        op.drop_index(name, table_name=table)
        op.execute(f"ALTER TABLE {table} ADD COLUMN vector tsvector GENERATED ALWAYS AS ({VECTOR_OF_WORDS}) STORED")
        op.create_index(name, table, ["vector"], postgresql_using="gin")
        op.execute(f"ANALYZE {table}")  # the planner's word frequencies, before the first search

    def unstore_vector(self, op: Any, name: str, table: str) -> None:
        op.drop_index(name, table_name=table)
        op.drop_column(table, "vector")
        self.create_index(op, name, table)

    def bound_pending(self, op: Any, name: str) -> None:
        op.execute(f"ALTER INDEX {name} SET (gin_pending_list_limit = {PENDING_KB})")
        op.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")

    def unbound_pending(self, op: Any, name: str) -> None:
        op.execute(f"ALTER INDEX {name} RESET (gin_pending_list_limit)")


class LikeWords:
    def match(self, index: Table, asked: Sequence[str]) -> ColumnElement[bool]:
        spaced = literal(" ", String) + index.c.words + literal(" ", String)
        return and_(*(spaced.like(bindparam(f"word_{n}", f"% {word} %")) for n, word in enumerate(asked)))

    def create_index(self, op: Any, name: str, table: str) -> None:
        return None  # SQLite compares the words of every row: development data is small

    def store_vector(self, op: Any, name: str, table: str) -> None:
        return None

    def unstore_vector(self, op: Any, name: str, table: str) -> None:
        return None

    def bound_pending(self, op: Any, name: str) -> None:
        return None

    def unbound_pending(self, op: Any, name: str) -> None:
        return None


TSVECTOR_WORDS: WordsSql = TsvectorWords()
LIKE_WORDS: WordsSql = LikeWords()


def modelled(item: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's `include_object` for comparing a database with the models: a search table's `vector` is
    PostgreSQL's own (store_vector), which no model declares."""
    table = getattr(item, "table", None)
    return not (
        type_ == "column" and name == "vector" and reflected and str(getattr(table, "name", "")).endswith("_search")
    )
