"""Rows read as one row of texts: each column aggregated into one comma-separated text, held as columns.

A plan's period is thousands of reports, and a view reads a few columns of each. As driver records each row was an
object the collector tracks, decoded field by field, and then folded into the few values a rule reads; as one row of
texts (one aggregate, one pass over the same rows, so every text is in the same order, on both databases) the
driver decodes a handful of strings and the service parses them into lists of machine values (services/common/json).
compliance (filed.py), the pairs that answered (repository.answered_keys), the roll-up's filed counts
(filed_counts.py), and the lights' lead states, latest indicator values and progress read so; text_row takes a
statement's texts from its one row, in the order named.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Subquery, func, literal_column, select
from sqlalchemy.types import String

from services.common.driver_reads import Rows

# The separator as SQL, not a value bound at execution (driver_reads compiles each statement once, for asyncpg).
COMMA = literal_column("','", String)


def as_texts(rows: Subquery, names: Sequence[str] | None = None) -> Select[Any]:
    """The columns of `rows` (those named, in that order), each aggregated into one comma-separated text labelled
    with its name: one row, NULLs when there are no rows. Every text in the rows' order: that of an ordered subquery
    (both databases aggregate in it), else none, the texts sharing it."""
    columns = list(rows.c) if names is None else [rows.c[name] for name in names]
    texts: list[ColumnElement[Any]] = [
        func.aggregate_strings(column.cast(String), COMMA).label(column.name)  # type: ignore[arg-type]
        for column in columns
    ]
    return select(*texts)


Texts = tuple[str | None, ...]  # a statement's one row of texts, a text per column as read (None: no rows at all)


def text_row(rows: Rows, names: Sequence[str]) -> Texts:
    """The texts of an as_texts statement's one row (a dict or a driver record alike), in the order of `names`."""
    if not rows:
        return (None,) * len(names)
    found = tuple(itemgetter(*names)(rows[0])) if len(names) > 1 else (rows[0][names[0]],)
    return cast(Texts, found)


def entries(text: str | None) -> int:
    """How many values a column's text holds (what a memo's bound counts of it)."""
    return 0 if text is None else text.count(",") + 1


def words(text: str | None) -> list[str]:
    """A comma-separated text of values without commas (statuses), as a list (none for NULL)."""
    return text.split(",") if text else []


def latest_places(keys: Sequence[int], ids: Sequence[int] | array[int]) -> dict[int, int]:
    """Each key's place in the columns; of a key listed twice (a pair's two reports: rare), the place of the highest
    id, whatever order the database aggregated them in."""
    at = dict(zip(keys, range(len(keys)), strict=True))
    if len(at) < len(keys):
        for place, key in enumerate(keys):
            if ids[place] > ids[at[key]]:
                at[key] = place
    return at
