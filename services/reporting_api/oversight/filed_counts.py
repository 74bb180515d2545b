"""A roll-up's filed counts (the period's reports counted per unit or per item) read as one row of texts, held as
columns, and summed per group only for the rows a page shows.

A typical plan's roll-up by unit counts its period per unit in 2,216 rows. Read as driver records, each was a record
the collector tracks; the memo compared them as tuples made of each (~1 ms), and every group's counts were added up
before any page asked for them (filed_by_group, ~3 ms). Read as one row of comma-separated texts (one per column,
every text in the same order: one pass of one aggregate), the memo compares the texts as they came, and only a miss
parses them: into a dict of key to place and a list of integers per count, which a group's row sums over its keys
when a page first shows it (tally.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.driver_reads import Read, Rows
from services.common.json import integer_list
from services.common.records import plain_rows
from services.reporting_api.oversight.repository import REACHED, answering, periods_of, reports
from services.reporting_api.oversight.schemas.rows import FiledCount
from services.reporting_api.oversight.texts import Texts, as_texts, entries, text_row

FIELDS = tuple(FiledCount.__annotations__)  # the key, then the counts in a roll-up row's order
FiledTexts = Texts  # a text per field, as read (None: no report at all)
NO_FILED = (0,) * (len(FIELDS) - 1)
_NOTHING: FiledTexts = (None,) * len(FIELDS)
_VALUES = itemgetter(*FIELDS)  # a row's values by name, in FIELDS' order: a dict's and a driver record's alike


@cache
def filed_counts_statement(key: str) -> Select[Any]:
    """The reports answering for the period counted per unit or per item, as a roll-up row counts them (FiledCount):
    one aggregate, one row per key; of a pair that filed two (under an earlier cadence) only the latest counts
    (latest_per_pair), picked by rank in one pass over the period's reports: found by each pair's highest id, every
    report was read twice, the second time one by one (a typical plan's 4,084: 28 -> ~8 ms)."""
    latest_first = func.row_number().over(
        partition_by=(reports.c.item_id, reports.c.unit_id), order_by=reports.c.id.desc()
    )
    ranked = (
        select(
            reports.c.unit_id,
            reports.c.item_id,
            reports.c.status,
            reports.c.late,
            REACHED.label("reached"),
            latest_first.label("rank"),
        )
        .where(answering())
        .subquery()
    )
    column, status, late, reached = ranked.c[key], ranked.c.status, ranked.c.late, ranked.c.reached.is_(True)
    counts = {
        "submitted": reached,  # reached the office: a draft reopened for a correction too (repository.REACHED)
        "awaiting_review": and_(status != "draft", status != "accepted", status != "returned"),  # no IN: compiled once
        "accepted": status == "accepted",
        "returned": status == "returned",
        "draft": status == "draft",
        "on_time": and_(reached, late.is_not(True)),
        "late": and_(reached, late.is_(True)),
        "reopened": and_(reached, status == "draft"),
    }
    return (
        select(column.label("key"), *(func.count().filter(when).label(name) for name, when in counts.items()))
        .where(ranked.c.rank == 1)
        .group_by(column)
    )


@cache
def filed_texts_statement(key: str) -> Select[Any]:
    """filed_counts_statement(key)'s rows as one row: a comma-separated text per column, in FIELDS' order."""
    return as_texts(filed_counts_statement(key).subquery(), FIELDS)


def filed_texts_read(plan_id: int, period: str, key: str) -> Read:
    return filed_texts_statement(key), {"plan_id": plan_id, **periods_of(period)}


async def read_filed_counts(conn: AsyncConnection, plan_id: int, period: str, key: str) -> FiledCounts:
    """The period's filed counts per unit or item (`key`), read on `conn` (a closed period's snapshot)."""
    statement, values = filed_texts_read(plan_id, period, key)
    return FiledCounts.of(filed_texts(plain_rows(await conn.execute(statement, values))))


def filed_texts(rows: Rows) -> FiledTexts:
    """The texts of filed_texts_statement's one row (a dict or a driver record alike), in FIELDS' order."""
    return text_row(rows, FIELDS)


def rows_counted(texts: FiledTexts) -> int:
    """How many units or items the texts count (what the roll-up memo's bound counts of them)."""
    return entries(texts[0])


@dataclass(frozen=True, slots=True)
class FiledCounts:
    """The counts of each key (unit or item id) as columns: `at` maps a key to its place in `columns`, one list of
    integers per count, in FIELDS' order after the key."""

    at: Mapping[int, int]
    columns: tuple[list[int], ...]

    @classmethod
    def of(cls, texts: FiledTexts) -> FiledCounts:
        keys, *columns = map(integer_list, texts)
        return cls(dict(zip(keys, range(len(keys)), strict=True)), tuple(columns))

    @classmethod
    def of_rows(cls, rows: Iterable[FiledCount]) -> FiledCounts:
        """The counts of rows read one by one (a closed period's snapshot computed from lists)."""
        found = list(map(_VALUES, rows))
        return cls.of(tuple(",".join(map(str, column)) for column in zip(*found, strict=True)) if found else _NOTHING)

    def summed(self, keys: Sequence[int]) -> Sequence[int]:
        """The counts of these keys added up, in FIELDS' order after the key (zeros for keys nothing was filed for)."""
        places = [place for place in map(self.at.get, keys) if place is not None]
        if len(places) == 1:
            return tuple(column[places[0]] for column in self.columns)
        if not places:
            return NO_FILED
        return tuple(sum(map(column.__getitem__, places)) for column in self.columns)
