"""A roll-up's filed counts (the period's reports counted per unit or per item) read as one row of texts, held as
columns, and summed per group only for the rows a page shows.

Only the reports of items that owe the period are counted, as compliance counts them: a report an item filed before
its cadence changed (or before its close-out or cancellation) is listed there with `owed: false` and covers none of
the owed pairs. Which items owe is known only here (from the plan in tasks_api and the rhythm), so the database
cannot leave them out: per item, a not-owed item's key is dropped; per unit, the period's latest report of each
pair is read as its item, unit and one small code of what it counts as (PAIR_FIELDS), and the units' counts are
made here from the owed pairs' codes (counted once for every group and day while the rows read the same: memo.py).

A typical plan's roll-up by unit counts its period per unit in 2,216 rows. Read as driver records, each was a record
the collector tracks; the memo compared them as tuples made of each (~1 ms), and every group's counts were added up
before any page asked for them (filed_by_group, ~3 ms). Read as one row of comma-separated texts (one per column,
every text in the same order: one pass of one aggregate), the memo compares the texts as they came, and only a miss
parses them: into a dict of key to place and a list of integers per count, which a group's row sums over its keys
when a page first shows it (tally.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import compress, count, repeat
from operator import add, floordiv, itemgetter, mul, not_
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.driver_reads import Read, Rows
from services.common.json import integer_list, integers
from services.common.records import plain_rows
from services.reporting_api.oversight.repository import REACHED, answering, periods_of, reports
from services.reporting_api.oversight.schemas.rows import FiledCount
from services.reporting_api.oversight.texts import Texts, as_texts, entries, text_row

FIELDS = tuple(FiledCount.__annotations__)  # the key, then the counts in a roll-up row's order
PAIR_FIELDS = ("item_id", "unit_id", "counted")  # filed_pairs_statement's texts, in its order
FiledTexts = Texts  # a text per field, as read (None: no report at all)
NO_FILED = (0,) * (len(FIELDS) - 1)
_NOTHING: FiledTexts = (None,) * len(FIELDS)
_VALUES = itemgetter(*FIELDS)  # a row's values by name, in FIELDS' order: a dict's and a driver record's alike


def _latest_per_pair() -> Any:
    """The period's reports, each ranked within its pair, latest first: of a pair that filed two (under an earlier
    cadence) only the latest counts (latest_per_pair), picked by rank in one pass over the period's reports: found by
    each pair's highest id, every report was read twice, the second time one by one (a typical plan's 4,084: 28 ->
    ~8 ms)."""
    latest_first = func.row_number().over(
        partition_by=(reports.c.item_id, reports.c.unit_id), order_by=reports.c.id.desc()
    )
    return (
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


@cache
def filed_counts_statement(key: str) -> Select[Any]:
    """The reports answering for the period counted per unit or per item, as a roll-up row counts them (FiledCount):
    one aggregate, one row per key, the latest report of each pair (_latest_per_pair). A roll-up reads it per item;
    per unit it reads filed_pairs_statement, whose owed pairs add up to this statement's rows."""
    ranked = _latest_per_pair()
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


# A key's filed counts, by position, in RollupEntry's (and FiledCount's) field order after the key.
SUBMITTED, AWAITING, ACCEPTED, RETURNED, DRAFT, ON_TIME, LATE, REOPENED = range(len(FIELDS) - 1)
# What a report counts as, as one small code the database makes (_counted_as): twice its kind (a draft, awaiting
# review, accepted, returned, a draft that reached the office: reopened), plus one when it reached the office late;
# COUNTED_BY[code] holds the counts a report of that code adds one to (a draft never submitted is neither on time nor
# late: only a report that reached the office is judged).
COUNTED_BY: tuple[tuple[int, ...], ...] = (
    (DRAFT,),
    (DRAFT,),
    (SUBMITTED, AWAITING, ON_TIME),
    (SUBMITTED, AWAITING, LATE),
    (SUBMITTED, ACCEPTED, ON_TIME),
    (SUBMITTED, ACCEPTED, LATE),
    (SUBMITTED, RETURNED, ON_TIME),
    (SUBMITTED, RETURNED, LATE),
    (SUBMITTED, DRAFT, ON_TIME, REOPENED),
    (SUBMITTED, DRAFT, LATE, REOPENED),
)
CODES = len(COUNTED_BY)


def _counted_as(
    status: ColumnElement[Any], late: ColumnElement[Any], reached: ColumnElement[Any]
) -> ColumnElement[Any]:
    """A report's code (COUNTED_BY), as filed_counts_statement counts its status, lateness and reach."""
    draft = status == "draft"
    kind = case((and_(draft, reached), 8), (draft, 0), (status == "accepted", 4), (status == "returned", 6), else_=2)
    return kind + case((and_(reached, late.is_(True)), 1), else_=0)


@cache
def filed_pairs_statement() -> Select[Any]:
    """The latest report of each pair that filed for the period (_latest_per_pair) as its item, unit and code
    (COUNTED_BY), as one row: a comma-separated text per column, in PAIR_FIELDS' order."""
    ranked = _latest_per_pair()
    counted = _counted_as(ranked.c.status, ranked.c.late, ranked.c.reached.is_(True))
    pairs = select(ranked.c.item_id, ranked.c.unit_id, counted.label("counted"))
    return as_texts(pairs.where(ranked.c.rank == 1).subquery(), PAIR_FIELDS)


@cache
def filed_texts_statement(key: str) -> Select[Any]:
    """What a roll-up reads of the period per `key`, as one row of texts (texts_fields(key)): per item
    filed_counts_statement's rows, per unit filed_pairs_statement's."""
    if key == "unit_id":
        return filed_pairs_statement()
    return as_texts(filed_counts_statement(key).subquery(), FIELDS)


def texts_fields(key: str) -> tuple[str, ...]:
    return PAIR_FIELDS if key == "unit_id" else FIELDS


def filed_texts_read(plan_id: int, period: str, key: str) -> Read:
    return filed_texts_statement(key), {"plan_id": plan_id, **periods_of(period)}


async def read_filed_counts(
    conn: AsyncConnection, plan_id: int, period: str, key: str, not_owed: Collection[int]
) -> FiledCounts:
    """The period's filed counts per unit or item (`key`) of the items owing it, read on `conn` (a closed period's
    snapshot)."""
    statement, values = filed_texts_read(plan_id, period, key)
    return filed_counts(filed_texts(plain_rows(await conn.execute(statement, values)), key), key, not_owed)


def filed_texts(rows: Rows, key: str) -> FiledTexts:
    """The texts of filed_texts_statement(key)'s one row (a dict or a driver record alike), in its fields' order."""
    return text_row(rows, texts_fields(key))


def filed_counts(texts: FiledTexts, key: str, not_owed: Collection[int]) -> FiledCounts:
    """The counts per `key` of filed_texts_statement(key)'s texts, but those of the items in `not_owed`: a report of
    an item that does not owe the period is not an owed report (compliance lists it with `owed: false`)."""
    if key == "unit_id":
        return FiledCounts.of_pairs(texts, not_owed)
    return FiledCounts.of(texts).but(not_owed)


def rows_counted(texts: FiledTexts) -> int:
    """How many units, items or pairs the texts hold (what the roll-up memo's bound counts of them)."""
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

    @classmethod
    def of_pairs(cls, texts: FiledTexts, not_owed: Collection[int]) -> FiledCounts:
        """The counts per unit of filed_pairs_statement's texts (PAIR_FIELDS), of the pairs whose item is not in
        `not_owed`: the codes counted per unit and code in C loops (Counter), then added to the unit's counts once
        per unit and code (a typical plan: ~2,000 units, a few codes each)."""
        item_text, unit_text, code_text = texts
        units: Iterable[int] = integers(unit_text)
        codes: Iterable[int] = integer_list(code_text)
        if not_owed:
            owes = list(map(not_, map(not_owed.__contains__, integers(item_text))))
            units, codes = compress(units, owes), compress(codes, owes)
        counted = Counter(map(add, map(mul, units, repeat(CODES)), codes))  # a unit and a code as one integer
        at = dict(zip(dict.fromkeys(map(floordiv, counted, repeat(CODES))), count()))
        columns = tuple([0] * len(at) for _ in FIELDS[1:])
        for unit_code, filed in counted.items():
            unit, code = divmod(unit_code, CODES)
            place = at[unit]
            for field in COUNTED_BY[code]:
                columns[field][place] += filed
        return cls(at, columns)

    def but(self, keys: Collection[int]) -> FiledCounts:
        """These counts without those of `keys` (per item: the items that do not owe the period)."""
        dropped = self.at.keys() & keys if keys else ()
        if not dropped:
            return self
        at = dict(self.at)
        for key in dropped:  # a few: the items that filed for a period they no longer owe
            del at[key]
        return FiledCounts(at, self.columns)

    def summed(self, keys: Sequence[int]) -> Sequence[int]:
        """The counts of these keys added up, in FIELDS' order after the key (zeros for keys nothing was filed for)."""
        places = [place for place in map(self.at.get, keys) if place is not None]
        if len(places) == 1:
            return tuple(column[places[0]] for column in self.columns)
        if not places:
            return NO_FILED
        return tuple(sum(map(column.__getitem__, places)) for column in self.columns)
