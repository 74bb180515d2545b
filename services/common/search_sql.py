"""How each database finds a search table's words (services/common/search_index.py); dialect.py hands each its own
(`Dialect.words`). The words are those of services/common/segment.py: runs of letters and digits, lower case,
separated by spaces.

PostgreSQL: full-text search with the `simple` configuration (no stemming, no stop words: a word is itself), a GIN
index of `to_tsvector('simple', words)`, and the query's words ANDed by `plainto_tsquery`, which reads them with the
same parser (a word the parser splits is split alike on both sides). The query's words are written into the
statement, not bound: each query is planned for its own words (a word in every report walks the newest rows; a rare
one reads the index), where a prepared generic plan would pick one way for all. Words are letters and digits only
(checked here), so nothing but a word reaches the SQL.

SQLite, for development and the tests: each word compared with the row's words (` words ` LIKE `% word %`), the
same matches without an index."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Column, ColumnElement, Index, String, and_, bindparam, func, literal, literal_column, text

SIMPLE = "'simple'::regconfig"
_WORDS = re.compile(r"[^\W_]+( [^\W_]+)*")


class WordsSql(Protocol):
    def match(self, words: ColumnElement[str], asked: Sequence[str]) -> ColumnElement[bool]:
        """The rows whose `words` hold every word `asked` (at least one)."""

    def create_index(self, op: Any, name: str, table: str) -> None:
        """Index a search table's words, in a migration (dropped with its table)."""


def words_index(name: str, words: Column[str]) -> Index:
    """A search table's index of its words as the models declare it: on PostgreSQL only (SQLite has none)."""
    return Index(name, func.to_tsvector(literal_column(SIMPLE), words), postgresql_using="gin").ddl_if(
        dialect="postgresql"
    )


class TsvectorWords:
    def match(self, words: ColumnElement[str], asked: Sequence[str]) -> ColumnElement[bool]:
        joined = " ".join(asked)
        if not _WORDS.fullmatch(joined):
            raise ValueError("search words are runs of letters and digits")
        query = func.plainto_tsquery(literal_column(SIMPLE), literal_column(f"'{joined}'"))
        return func.to_tsvector(literal_column(SIMPLE), words).bool_op("@@")(query)

    def create_index(self, op: Any, name: str, table: str) -> None:
        op.create_index(name, table, [text(f"to_tsvector({SIMPLE}, words)")], postgresql_using="gin")


class LikeWords:
    def match(self, words: ColumnElement[str], asked: Sequence[str]) -> ColumnElement[bool]:
        spaced = literal(" ", String) + words + literal(" ", String)
        return and_(*(spaced.like(bindparam(f"word_{n}", f"% {word} %")) for n, word in enumerate(asked)))

    def create_index(self, op: Any, name: str, table: str) -> None:
        return None  # SQLite compares the words of every row: development data is small


TSVECTOR_WORDS: WordsSql = TsvectorWords()
LIKE_WORDS: WordsSql = LikeWords()
