"""Who owes which report when (报送义务): the one place that turns a plan's calendar, its items, their
responsibilities and cadences into obligations.

Pure functions over plain data. An obligation is one report one unit owes on one item for one period, due on
that period's due date. On each day a cadence reports, the item owes the report of the largest period ending
there (calendar.owed_period): a quarterly item owes 2024-Q1 (季度梳理), 2024-H1 (半年小结), 2024-Q3 and 2024
(年度汇总), and the summary answers for the quarter it closes. An item owes nothing for a period starting after its
own end date (due_on), for a due date after its close-out (closed_on), nor once cancelled (the plan dropped it). A
report filed for a period the item no longer owes stays what it is: listed as filed, not owed. Compliance, traffic
lights, roll-ups, the ledger, the assessment's snapshots and the periods list use it, and notify_api reads it over
HTTP (GET /v1/plans/{id}/obligations).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Collection, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import compress, filterfalse, islice, repeat, tee
from operator import add, attrgetter, eq, le, mul
from typing import Any, NamedTuple, Protocol, TypeVar

from services.common.contracts.columns import Columns
from services.common.contracts.tasks import Item
from services.common.problems import Unprocessable
from services.reporting_api.periods.calendar import Cadence, Period, ScheduledPeriod, owed_period, owes_on, parse_period

Pair = tuple[int, int]  # (item_id, unit_id)
PAIR_BASE = 1 << 32  # a pair as one integer: item_id * PAIR_BASE + unit_id (ids are positive 32-bit integers)
FEW_PAIRS = 20_000  # held as a set up to this many (1.4 MB), as an array beyond (PairKeys)
ReportT = TypeVar("ReportT", bound=Mapping[str, Any])  # a report row (TypedDict) with id, item_id and unit_id
CANCELLED = "cancelled"  # an item's status once the plan dropped it: it owes nothing


def pair_key(item_id: int, unit_id: int) -> int:
    """A pair as one integer, as SQL computes it too (oversight/repository.answered_keys_statement): a set of a
    province's 100,000 pairs as integers holds a third of what it holds as tuples."""
    return item_id * PAIR_BASE + unit_id


def pair_keys(item_ids: Iterable[int], unit_ids: Iterable[int]) -> Iterator[int]:
    """pair_key of each (item_id, unit_id), computed in C loops (a province's 100,000 pairs, each period)."""
    return map(add, map(mul, item_ids, repeat(PAIR_BASE)), unit_ids)


class PairKeys(Container[int]):
    """Pairs by pair_key, but those in `but` (taken out once, when built): many (a province's period) as a sorted array
    of machine integers, 8 bytes a pair, looked up by bisection (a set of 100,000 held 7 MB at the peak of a dispatch);
    a few thousand (a typical plan's) as a set, looked up faster. The array ends in a key above any pair's, so that a
    bisection always lands on a key; an array given in order is kept, and that key appended to it."""

    __slots__ = ("keys", "some")
    some: set[int] | None

    def __init__(self, keys: Sequence[int], but: Collection[int] = ()) -> None:
        if but:  # the order kept, in a C loop
            keys = array("q", filterfalse(but.__contains__, keys))
        self.some, self.keys = None, array("q")
        if len(keys) <= FEW_PAIRS:
            self.some = set(keys)
            return
        if isinstance(keys, array) and all(map(le, keys, islice(keys, 1, None))):
            self.keys = keys  # in order, as answered_keys reads them
        else:
            self.keys = array("q", sorted(keys))
        self.keys.append(_ABOVE_ALL)

    def __contains__(self, key: object) -> bool:
        return next(self.among([key])) if isinstance(key, int) else False

    def among(self, keys: Iterable[int]) -> Iterator[bool]:
        """For each of `keys`, whether it is one of these pairs, in C loops (no call of a method per key)."""
        if self.some is not None:
            return map(self.some.__contains__, keys)
        looked_up, compared = tee(keys)
        return map(eq, map(self.keys.__getitem__, map(bisect_left, repeat(self.keys), looked_up)), compared)


_ABOVE_ALL = (1 << 63) - 1  # the largest 64-bit key: above any pair's (PairKeys)


class ItemFacts(Protocol):
    """What decides whether an item owes a report: a tasks_api Item, or the obligation list's slimmer record."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def due_on(self) -> date | None: ...
    @property
    def closed_on(self) -> date | None: ...
    @property
    def status(self) -> str: ...


class ItemLabel(Protocol):
    """What an obligation's row shows of its item."""

    @property
    def id(self) -> int: ...
    @property
    def key(self) -> str: ...
    @property
    def number(self) -> str: ...
    @property
    def title(self) -> str: ...


class Duty(Protocol):
    """A responsibility of a unit for an item: a tasks_api Assignment, or the obligation list's slimmer record."""

    @property
    def id(self) -> int: ...
    @property
    def item_id(self) -> int: ...
    @property
    def unit_id(self) -> int: ...
    @property
    def unit_name(self) -> str: ...
    @property
    def role(self) -> str: ...


@dataclass(frozen=True, slots=True)
class CadenceBook:
    """The plan's cadences: its default, one per item kind, one per item (the most specific wins)."""

    default: Cadence = Cadence.QUARTERLY
    by_kind: Mapping[str, Cadence] = field(default_factory=dict)
    by_item: Mapping[int, Cadence] = field(default_factory=dict)

    def of(self, item: ItemFacts) -> Cadence:
        return self.of_item(item.id, item.kind)

    def of_item(self, item_id: int, kind: str) -> Cadence:
        return self.by_item.get(item_id) or self.by_kind.get(kind) or self.default

    def source(self, item: Item) -> str:
        """Where an item's cadence comes from: item, kind or plan."""
        return "item" if item.id in self.by_item else "kind" if item.kind in self.by_kind else "plan"

    @property
    def monthly(self) -> bool:
        """Whether any item of the plan may owe a monthly report."""
        return Cadence.MONTHLY in {self.default, *self.by_kind.values(), *self.by_item.values()}


@dataclass(frozen=True, slots=True)
class Rhythm:
    """A plan's reporting calendar (every period with its due date) and its cadences."""

    calendar: Mapping[str, ScheduledPeriod]  # period id → its due date, in calendar order
    book: CadenceBook

    def scheduled(self, period_id: str) -> ScheduledPeriod:
        """The period with its due date; 422 when the plan has no such period."""
        parse_period(period_id)
        found = self.calendar.get(period_id)
        if found is None:
            raise Unprocessable(f"The plan has no reporting period {period_id}.")
        return found

    def owed_for(self, period_id: str) -> ScheduledPeriod:
        """The period whose report answers for `period_id` (2024-Q2 → 2024-H1), with its due date."""
        return self.scheduled(owed_period(self.scheduled(period_id).period).id)

    def owes(self, item: ItemFacts, scheduled: ScheduledPeriod) -> bool:
        """Whether the item owes the report of this (owed) period."""
        period = scheduled.period
        return (
            owes_on(self.book.of(item), period)
            and (item.due_on is None or period.starts_on <= item.due_on)
            and (item.closed_on is None or scheduled.due_on <= item.closed_on)
            and item.status != CANCELLED
        )

    def refuse_unowed(self, item: Item, period_id: str) -> None:
        """422 unless the item owes a report for this very period (a unit files one report per item per due
        date: the summary, not the quarter it closes)."""
        owed = self.owed_for(period_id)
        if owed.period.id != period_id:
            raise Unprocessable(
                f"{period_id} is answered by the {owed.period.report_type.value} report of "
                f"{owed.period.id}: file that one."
            )
        if not self.owes(item, owed):
            why = [f"its cadence is {self.book.of(item).value}"]
            why += [f"it ends on {item.due_on}"] if item.due_on else []
            why += [f"it was closed on {item.closed_on}"] if item.closed_on else []
            why += ["it was cancelled"] if item.status == CANCELLED else []
            raise Unprocessable(f"Item {item.id} owes no report for {period_id} ({', '.join(why)}).")

    def owed_periods(self, start: date | None = None, end: date | None = None) -> list[ScheduledPeriod]:
        """The periods reports are owed for (one per period end), due in [start, end], in calendar order."""
        return [
            s
            for s in self.calendar.values()
            if owed_period(s.period) == s.period
            and (start is None or start <= s.due_on)
            and (end is None or s.due_on <= end)
        ]

    def owed_by_default(self, period: Period) -> bool:
        """Whether an item of the plan's default cadence owes this very period's report."""
        return owed_period(period) == period and owes_on(self.book.default, period)


class Obligation(NamedTuple):
    """One report a unit owes (owed) or filed without owing it (not owed): its responsibility and period. A tuple,
    not a frozen dataclass: compliance builds one per responsibility of a plan (thousands) on every request."""

    assignment: Duty
    scheduled: ScheduledPeriod
    owed: bool = True

    @property
    def period(self) -> Period:
        return self.scheduled.period

    @property
    def due_on(self) -> date:
        return self.scheduled.due_on


def owing_items(rhythm: Rhythm, items: Iterable[ItemFacts], scheduled: ScheduledPeriod) -> set[int]:
    book = rhythm.book
    return _owing(((i.id, book.of(i), i.due_on, i.closed_on) for i in items if i.status != CANCELLED), scheduled)


Facts = tuple[int, Cadence, date | None, date | None]  # an item's id, cadence, end (due_on) and close-out (closed_on)


def _owing(items: Iterable[Facts], scheduled: ScheduledPeriod) -> set[int]:
    """The ids of `items` owing the report of this owed period: Rhythm.owes, with the cadences' answer asked once per
    cadence, not once per item (a plan's 50,000 items, for every period of a dispatch's window)."""
    period, due_on = scheduled.period, scheduled.due_on
    starts_on, owed = period.starts_on, {cadence for cadence in Cadence if owes_on(cadence, period)}
    return {
        item_id
        for item_id, cadence, ends_on, closed_on in items
        if cadence in owed and (ends_on is None or starts_on <= ends_on) and (closed_on is None or due_on <= closed_on)
    }


def owing_periods(
    rhythm: Rhythm, items: Columns[ItemFacts], duty_items: Sequence[int], start: date, end: date
) -> Iterator[tuple[ScheduledPeriod, set[int]]]:
    """The owed periods due in [start, end] for which an item of a responsibility (`duty_items`: their item ids) owes
    a report, each with its owing items, one period at a time (a province's owing items are 50,000 ids a period):
    each item's cadence looked up once for all the periods, from the columns (no item record made)."""
    ids = items.ints("id")
    cadences = list(map(rhythm.book.of_item, ids, items.column("kind")))
    facts, live = (ids, cadences, items.column("due_on"), items.column("closed_on")), items.column("status")
    for scheduled in rhythm.owed_periods(start, end):
        owing = _owing(compress(zip(*facts, strict=True), (s != CANCELLED for s in live)), scheduled)
        if not owing.isdisjoint(duty_items):
            yield scheduled, owing


def obligations_of(
    rhythm: Rhythm,
    period_id: str,
    items: Iterable[ItemFacts],
    assignments: Iterable[Duty],
    filed: Mapping[Pair, Mapping[str, Any]],
    *,
    owing: Collection[int] | None = None,
) -> list[Obligation]:
    """What answers for a period, in responsibility id order: each responsibility of an item that owes the
    period's report, and each other responsibility that filed a report answering the period anyway.

    `filed` maps (item_id, unit_id) to the report answering the period ({..., "period"}); `owing` names the items
    owing the period's report when the caller knows them already (owing_items otherwise).
    """
    scheduled = rhythm.owed_for(period_id)
    if owing is None:
        owing = owing_items(rhythm, items, scheduled)
    found = []
    for assignment in sorted(assignments, key=attrgetter("id")):
        if assignment.item_id in owing:
            found.append(Obligation(assignment, scheduled))
        elif filed and (report := filed.get((assignment.item_id, assignment.unit_id))) is not None:
            own = rhythm.calendar.get(report["period"], scheduled)
            found.append(Obligation(assignment, own, False))
    return found


def latest_per_pair(rows: Iterable[ReportT]) -> dict[Pair, ReportT]:
    """One report per (item, unit) among those answering a period: the latest filed (highest id). Two exist only
    when a unit filed under an earlier cadence (a quarter report, then the summary for the same day)."""
    found: dict[Pair, ReportT] = {}
    for row in rows:
        pair = (row["item_id"], row["unit_id"])
        known = found.get(pair)
        if known is None or row["id"] > known["id"]:
            found[pair] = row
    return found
