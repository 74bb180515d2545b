"""The reports answering for a period as compliance reads them: one row of texts, held as columns.

A compliance page counts every pair of a plan's period (a typical plan's 4,084 reports, the province's 100,000) and
keeps the view for the pages that follow (walks.py). Read as driver records and kept by pair, every report was a
record and a tuple: making the pairs, counting them and freeing the evicted walk's took two thirds of a page's CPU,
and each walk kept 4,084 objects the collector tracks, so that its full passes (15-20 ms) fell on one request in
fifteen, the p95. Read as one row of comma-separated texts, one per column, and held as machine integers and small
codes, a walk keeps a handful of objects, and the read makes none per report that the collector would count. A
typical plan's first page here (in process, 300 requests after ten plans' roll-ups): full collections 20 -> 0, the
CPU a request 12-13 -> 6.5 ms at the median, its p95 wall time 29-32 -> 19-20 ms.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, partial
from itertools import compress, repeat
from operator import is_not
from typing import Any, cast

import orjson
from sqlalchemy import ColumnElement, Select, case, func, literal_column, select
from sqlalchemy.types import Integer, String

from services.common.driver_reads import Read, Rows
from services.common.json import integer_list, integers
from services.reporting_api.oversight.memo import InputMemo
from services.reporting_api.oversight.repository import ANSWERING, PAIR_KEY, REACHED, answering, periods_of, reports
from services.reporting_api.oversight.schemas.rows import AnsweringReport
from services.reporting_api.oversight.texts import Texts, as_texts, entries, latest_places, text_row
from services.reporting_api.periods.obligations import PAIR_BASE, Pair, pair_key
from services.reporting_api.reports.models import ReportStatus

# A report's status, whether it reached the office and its lateness as one small code, made by the database: the
# status's place in STATUSES times four, plus REACHED_BIT when it reached the office (repository.REACHED: a reopened
# draft has), plus LATE_BIT when late. Parsing the statuses by name and coding them here was a fifth of a compliance
# page's CPU (a typical plan: 0.6 of 2.4 ms). A status outside ReportStatus (only SQL written by hand could store one)
# comes as "name/flags" instead, and is kept by its name (_states).
STATUSES = tuple(status.value for status in ReportStatus)
LATE_BIT, REACHED_BIT, STATUS_SHIFT = 1, 2, 2
SLASH = literal_column("'/'", String)
FILED_FIELDS = ("id", "pair", "period", "state", "days_late")  # filed_columns_statement's texts, in its order


def _state() -> ColumnElement[Any]:
    flags = REACHED.cast(Integer) * REACHED_BIT + reports.c.late.cast(Integer) * LATE_BIT
    code = case(*((reports.c.status == status, n << STATUS_SHIFT) for n, status in enumerate(STATUSES)))  # NULL: other
    return func.coalesce((code + flags).cast(String), reports.c.status + SLASH + flags.cast(String))


@cache
def filed_columns_statement(*, of_unit: bool = False) -> Select[Any]:
    """The reports answering for the period (of one unit) as one row: a comma-separated text per column (id, pair
    key, period as its place in ANSWERING, state (status and lateness: _state), days late), every text in the same
    order (one pass of one aggregate over the same rows, on both databases); NULLs when none."""
    # The period as its place among the answering ones (every row's is one of them: the WHERE asks for no other).
    period = case(*((reports.c.period == answering_period, n) for n, answering_period in enumerate(ANSWERING)))
    found = select(reports.c.id, PAIR_KEY.label("pair"), period.label("period"), _state().label("state"))
    found = found.add_columns(reports.c.days_late).where(answering(of_unit=of_unit))
    # In no order: a pair's place is looked up by its key, and of a pair's two reports the ids pick the latest
    # (texts.latest_places). Sorting by id was a fifth of the statement's time on the server (a typical plan: 4.3 ->
    # 3.4 ms).
    return as_texts(found.subquery(), FILED_FIELDS)


def filed_columns_read(plan_id: int, period: str, *, unit_id: int | None = None) -> Read:
    values = {"plan_id": plan_id, **periods_of(period), **({} if unit_id is None else {"unit_id": unit_id})}
    return filed_columns_statement(of_unit=unit_id is not None), values


def _states(text: str | None) -> tuple[tuple[str, ...], list[int]]:
    """The statuses a state code names (STATUSES, and any other read) and the codes of the state column."""
    try:
        return STATUSES, integer_list(text)
    except orjson.JSONDecodeError:  # a status outside ReportStatus, as "name/late"
        return _named_states(cast(str, text))


def _named_states(text: str) -> tuple[tuple[str, ...], list[int]]:
    names, states = list(STATUSES), []
    for token in text.split(","):
        name, slash, flags = token.rpartition("/")
        if slash and name not in names:
            names.append(name)
        states.append((names.index(name) << STATUS_SHIFT) + int(flags) if slash else int(token))
    return tuple(names), states


@dataclass(frozen=True, slots=True)
class FiledReports(Mapping[Pair, AnsweringReport]):
    """The report answering for the period of each (item_id, unit_id) that filed one, by pair, as columns: `at` maps
    a pair's key (periods/obligations.pair_key) to its report's place in them; a report's status, whether it reached
    the office and its lateness are one small code (`states`: _state's), its period a place in `periods`. Of a pair
    that filed two (under an earlier cadence) the latest (highest id) answers, as periods/obligations.latest_per_pair
    keeps it."""

    at: dict[int, int]
    ids: array[int]
    periods: tuple[str, ...]
    period_of: list[int]
    statuses: tuple[str, ...]
    states: list[int]
    days_late: list[int]
    # The counts of the last keys counted (counted), with those keys: an object kept for its period (filed_reports)
    # is counted again for the same keys, the plan's owed pairs, which its shape keeps while it is the same.
    last_counted: list[tuple[Iterable[int], dict[tuple[str, bool, bool], int]]] = field(
        default_factory=list, compare=False, repr=False
    )

    @classmethod
    def of(cls, rows: Rows, period: str) -> FiledReports:
        """The reports filed_columns_statement read (its one row) for `period`."""
        return cls.parsed(text_row(rows, FILED_FIELDS), period)

    @classmethod
    def parsed(cls, texts: Texts, period: str) -> FiledReports:
        """The reports of filed_columns_statement's texts (FILED_FIELDS) for `period`."""
        id_text, pair_text, period_text, state_text, days_late = texts
        ids, keys, period_of = integers(id_text), integer_list(pair_text), integer_list(period_text)
        statuses, states = _states(state_text)
        periods = tuple(periods_of(period).values())  # ANSWERING's values, in its order
        return cls(latest_places(keys, ids), ids, periods, period_of, statuses, states, integer_list(days_late))

    def place(self, item_id: int, unit_id: int) -> int | None:
        return self.at.get(pair_key(item_id, unit_id))

    def status(self, at: int) -> str:
        return self.statuses[self.states[at] >> STATUS_SHIFT]

    def reached(self, at: int | None) -> bool:
        """compliance_rows.reached of the report at `at` (None: the pair filed none)."""
        return at is not None and bool(self.states[at] & REACHED_BIT)

    def report(self, at: int) -> AnsweringReport:
        period, state = self.periods[self.period_of[at]], self.states[at]
        status, reached, late = self.statuses[state >> STATUS_SHIFT], bool(state & REACHED_BIT), bool(state & LATE_BIT)
        days_late = self.days_late[at]
        return {
            "id": self.ids[at],
            "period": period,
            "status": status,
            "reached": reached,
            "late": late,
            "days_late": days_late,
        }

    def lateness(self, at: int | None, unreported: tuple[bool, int]) -> tuple[bool, int]:
        """compliance_rows.lateness of the report at `at` (None: the pair filed none)."""
        if at is not None and self.states[at] & REACHED_BIT:
            return bool(self.states[at] & LATE_BIT), self.days_late[at]
        return unreported

    def counted(self, keys: Iterable[int]) -> Mapping[tuple[str, bool, bool], int]:
        """The reports of the pairs with these keys (pair_key; distinct: a pair is one responsibility) counted by
        (status, reached, late); those of the very keys counted last are not counted again."""
        for known, counts in self.last_counted:
            if known is keys:
                return counts
        counts = self._counted(keys)
        self.last_counted[:] = [(keys, counts)]
        return counts

    def _counted(self, keys: Iterable[int]) -> dict[tuple[str, bool, bool], int]:
        """counted's answer, in C loops (map, Counter)."""
        places = list(map(self.at.get, keys))
        if len(places) - places.count(None) == len(self.states):  # every report is a pair's among the keys: all
            counted = Counter(self.states)
        else:
            found = cast(list[int], list(compress(places, map(is_not, places, repeat(None)))))
            counted = Counter(map(self.states.__getitem__, found))
        statuses = self.statuses
        return {
            (statuses[state >> STATUS_SHIFT], bool(state & REACHED_BIT), bool(state & LATE_BIT)): count
            for state, count in counted.items()
        }

    def __getitem__(self, pair: Pair) -> AnsweringReport:
        return self.report(self.at[pair_key(*pair)])

    def get(self, pair: Pair, default: Any = None) -> Any:
        at = self.at.get(pair_key(*pair))
        return default if at is None else self.report(at)

    def __contains__(self, pair: object) -> bool:
        return isinstance(pair, tuple) and pair_key(*pair) in self.at

    def __iter__(self) -> Iterator[Pair]:
        return (divmod(key, PAIR_BASE) for key in self.at)

    def __len__(self) -> int:
        return len(self.at)


def period_filed(memo: InputMemo, rows: Rows, plan_id: int, period: str, unit_id: int | None) -> FiledReports:
    """The reports filed_columns_read read for the plan's period (of one unit), parsed once while they read the same:
    kept in `memo` with their texts, so that compliance as of another day, with another filter or a page after a walk
    was dropped parses nothing again (a typical plan's 4,084 reports: about half of a first page's own CPU)."""
    texts = text_row(rows, FILED_FIELDS)
    parse = partial(FiledReports.parsed, texts, period)
    return memo.derived(("compliance", plan_id, period, unit_id), texts, parse, entries(texts[0]))
