"""How a search reads one source's hits (services/common/search.py): the newest that hold every word, whatever
the planner believes of the words.

The planner takes a query's words to be independent: two words that always come together (长三角 一体化) are
thought 20 times rarer than they are, two that never do (计划 指标 among items) found in every other record. On
that estimate it either walks the records newest first in search of hits that never come (every row of the
table), or reads every match of the words' index to sort them when the newest rows held the page (a unit's
60,000 matches, ~1 s). So a search does not leave that choice to it:

1. The walk: the newest WALKS[0] rows of the search table the caller may see are read, each checked against the
   words; their hits, newest first, are the page when there are enough of them (a common word: a few hundred rows).
2. When the walk found some hits, but too few: a longer walk, below the first (a word in a few records in a
   thousand).
3. Then, or at once when a walk found none, the index: every match below the walked rows, sorted; the walks
   said the matches are few (a record in a thousand or rarer), which is when the index is cheap.

Each step is bounded: the walks by their length, the index by the matches the walks show to be rare. The
records' own conditions (a plan, a unit's items, the instructions that concern it) are not the search table's:
with one of them the planner weighs the caller's share against the words, as before, in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

WALKS = (1_000, 10_000)  # rows of the search table each walk reads, newest first, before the index is asked


@dataclass(frozen=True, slots=True)
class Reading:
    """One source's read: its search table's conditions (the words, what the caller may see of it, the cursor)
    and the records' (none: the walks and the index; some: one planned statement)."""

    index: Any  # the search table
    match: ColumnElement[bool]
    own: tuple[ColumnElement[bool], ...]
    mine: Select[Any] | None  # the ids of the records the caller may see, when another table says it (a unit's items)
    rows_where: tuple[ColumnElement[bool], ...]
    joined: Any  # the records' table or join, to join on record_id
    record_id: ColumnElement[int]
    columns: tuple[ColumnElement[Any], ...]
    before: int | None
    want: int


async def read_hits(conn: AsyncConnection, reading: Reading) -> list[RowMapping]:
    """The newest `reading.want` hits (fewer when there are no more), newest first."""
    if reading.rows_where:
        return list((await conn.execute(_planned(reading))).mappings())
    found: list[RowMapping] = []
    below = reading.before
    for size in WALKS:
        batch = list((await conn.execute(_walk(reading, size, below, reading.want - len(found)))).mappings())
        found += batch
        if not batch:
            break  # not one hit in the walk: the matches are rare, the index finds them
        if len(found) >= reading.want or batch[0]["walked"] < size:
            return found  # the page is full, or the walk reached the oldest row
        below = batch[0]["floor"]
    return found + list((await conn.execute(_indexed(reading, below, reading.want - len(found)))).mappings())


def _below(reading: Reading, below: int | None) -> list[ColumnElement[bool]]:
    mine = () if reading.mine is None else (reading.index.c.record_id.in_(reading.mine),)
    return [*reading.own, *mine, *(() if below is None else (reading.index.c.record_id < below,))]


def _walk(reading: Reading, size: int, below: int | None, want: int) -> Select[Any]:
    """The hits among the `size` newest rows below `below`, with the oldest id walked and how many rows were."""
    index = reading.index
    if reading.mine is None:
        walked = select(index.c.record_id, reading.match.label("hit")).where(*_below(reading, below))
    else:  # all the caller's ids, materialised (the planner misjudges where in the table they are), the newest
        mine = reading.mine.cte("mine").prefix_with("MATERIALIZED")
        below_mine = () if below is None else (mine.c[0] < below,)
        ids = select(mine.c[0]).where(*below_mine).order_by(mine.c[0].desc()).limit(size).subquery("newest")
        walked = select(index.c.record_id, reading.match.label("hit")).join_from(
            ids, index, index.c.record_id == ids.c[0]
        )
    walk = walked.order_by(index.c.record_id.desc()).limit(size).cte("walk")
    floor = select(func.min(walk.c.record_id)).scalar_subquery().label("floor")
    count = select(func.count()).select_from(walk).scalar_subquery().label("walked")
    # The page's hits first (at most `want`), then their records: a join the planner cannot turn into a walk of
    # the records from the newest down to the hits.
    top = select(walk.c.record_id).where(walk.c.hit).order_by(walk.c.record_id.desc()).limit(want).subquery("top")
    return (
        select(*reading.columns, floor, count)
        .select_from(top.join(reading.joined, reading.record_id == top.c.record_id))
        .order_by(top.c.record_id.desc())
    )


def _indexed(reading: Reading, below: int | None, want: int) -> Select[Any]:
    """The newest hits below `below` by the words' index: every match, materialised (a planner that saw the
    ORDER BY and LIMIT through it would walk again), then the newest `want` of them."""
    index = reading.index
    found = select(index.c.record_id).where(reading.match, *_below(reading, below)).cte("found")
    found = found.prefix_with("MATERIALIZED")
    top = select(found.c.record_id).order_by(found.c.record_id.desc()).limit(want).subquery("top")
    return (
        select(*reading.columns)
        .select_from(top.join(reading.joined, reading.record_id == top.c.record_id))
        .order_by(top.c.record_id.desc())
    )


def _planned(reading: Reading) -> Select[Any]:
    """The hits in one statement, for the planner to weigh the records' conditions against the words."""
    index = reading.index
    joined = index.join(reading.joined, reading.record_id == index.c.record_id)
    where: Sequence[ColumnElement[bool]] = [reading.match, *_below(reading, reading.before), *reading.rows_where]
    return (
        select(*reading.columns)
        .select_from(joined)
        .where(*where)
        .order_by(index.c.record_id.desc())
        .limit(reading.want)
    )
