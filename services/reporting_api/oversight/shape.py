"""What the oversight rules derive from a plan's structure alone, derived once per structure and kept by its ETag.

The item tree, the lead of each item, the responsibilities in the orders the rules walk them, the roll-up's groups
by unit, section and kind, and the items owing each period (under the plan's rhythm) depend on the plan's structure
from tasks_api and not on any report: a roll-up or a compliance page derived them anew from thousands of records on
every request. A shape is kept under the ETag tasks_api gives the structure (a digest of the answer: equal tags,
equal structures), so a changed plan is a new key, never a stale shape; the reports are read and counted on every
request as before. The items owing a period also depend on the plan's rhythm (its rules, due dates and cadences,
read from our own tables on every request): each is kept with the rhythm it was derived under and used only while
the rhythm read now equals it. A replica without the shape derives it again: correct, only slower.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from services.common.caching import BoundedCache, lru_cache, sized_lru_cache
from services.common.contracts.plan_rows import PlanAssignment, PlanIndicator, PlanItem
from services.common.contracts.tasks import PlanStructure
from services.common.memory import MemoryTrim
from services.reporting_api.oversight.compliance import DutySplit
from services.reporting_api.oversight.lights import Lighted, lead_assignments, lighted_items
from services.reporting_api.oversight.rollups import PLAN_ONLY, groups_by_key, layout_of
from services.reporting_api.oversight.tally import Tally, tally_of
from services.reporting_api.periods.calendar import ScheduledPeriod
from services.reporting_api.periods.obligations import Rhythm, owing_items

OWED_PERIODS_KEPT = 8  # owed periods whose owing items a shape keeps: a plan's few years of quarters and summaries
# A shape of this many records or more was derived from a structure parsed from ~1 MB of JSON or more: the memory the
# parse and the request free is handed back to the system soon after (services/common/memory.py).
TRIM_AFTER_RECORDS = 5_000


@dataclass(frozen=True, slots=True)
class Owing:
    """The items owing one owed period, and the plan's rhythm they were derived under."""

    rhythm: Rhythm
    items: frozenset[int]
    not_owed: frozenset[int]  # the plan's other items: a roll-up expects nothing of them
    # The plan's responsibilities split by the owing items (references to the shape's records, no copies).
    split: DutySplit


@dataclass(slots=True)
class PlanShape:
    """A plan's structure in the orders the rules read it (the records are the peer cache's: never changed)."""

    items: Sequence[PlanItem]  # id order
    by_id: Mapping[int, PlanItem]
    duties: Sequence[PlanAssignment]  # id order (compliance, the lights' leads)
    by_item: Sequence[PlanAssignment]  # (item_id, id) order (a roll-up's)
    lighted: Sequence[Lighted]  # the items given a light, with their leads (lights.lighted_items)
    indicators: Sequence[PlanIndicator]  # id order
    tallies: dict[str, Tally] = field(default_factory=dict)  # a roll-up's by unit, section and kind
    owed: BoundedCache[str, Owing] = field(default_factory=lambda: lru_cache("owing items", OWED_PERIODS_KEPT))

    @property
    def size(self) -> int:
        """The records it orders: what the cache's bound counts."""
        return len(self.items) + len(self.duties) + len(self.indicators)

    def owing(self, rhythm: Rhythm, scheduled: ScheduledPeriod) -> Owing:
        """The items owing the report of an owed period (obligations.owing_items) under `rhythm`."""
        known = self.owed.get(scheduled.period.id)
        if known is not None and known.rhythm == rhythm:  # equal rhythms: equal calendars, cadences, owing items
            return known
        items = frozenset(owing_items(rhythm, self.items, scheduled))
        found = Owing(rhythm, items, frozenset(self.by_id) - items, DutySplit.of(self.duties, items))
        self.owed.put(scheduled.period.id, found)
        return found

    def tally(self, by: str) -> Tally:
        """The groups and layout of a roll-up by unit, section or kind, as it counts them (tally.py): the plan's
        alone."""
        if by not in PLAN_ONLY:
            raise ValueError(f"a roll-up by {by} reads more than the plan")
        found = self.tallies.get(by)
        if found is None:
            groups = groups_by_key(
                by, items=self.items, assignments=self.by_item, units=(), item_leaders=(), thematic=()
            )
            found = self.tallies[by] = tally_of(groups, layout_of(by, groups, self.by_item))
        return found


def derive(structure: PlanStructure) -> PlanShape:
    """The shape of a plan's structure: its lists sorted once, the leads, nothing derived from a report."""
    items = sorted(structure.items, key=attrgetter("id"))
    duties = sorted(structure.assignments, key=attrgetter("id"))
    return PlanShape(
        items=items,
        by_id={item.id: item for item in items},
        duties=duties,
        # (item_id, id) order: a stable sort of the id-ordered duties by item_id alone (keyed by (item_id, id), the
        # sort made a tuple a responsibility: 6 MB for plan 1's).
        by_item=sorted(duties, key=attrgetter("item_id")),
        lighted=lighted_items(items, lead_assignments(duties)),
        indicators=sorted(structure.indicators, key=attrgetter("id")),
    )


class PlanShapes:
    """Shapes by (plan id, structure ETag), the least recently used dropped first beyond `rows` records in all, and
    each dropped once the structure it was derived from is gone (the peer cache dropped it and no request holds it):
    a shape holds the structure's records, and must not keep them in memory longer than the peer cache does. One per
    app (app.state.plan_shapes), so tests' apps never share one."""

    def __init__(self, rows: int, trim: MemoryTrim | None = None) -> None:
        self.kept: BoundedCache[tuple[int, str], PlanShape] = sized_lru_cache("plan shapes", rows, _size)
        self.trim = trim

    def of(self, plan_id: int, revision: str | None, structure: PlanStructure) -> PlanShape:
        """The shape of the structure tasks_api answered with `revision` as its ETag (derived now without one)."""
        if revision is None:
            return self._derive(structure)
        key = (plan_id, revision)
        found = self.kept.get(key)
        if found is None:
            found = self._derive(structure)
            self.kept.put(key, found)
            weakref.finalize(structure, self._forget, key, found)
        return found

    def _derive(self, structure: PlanStructure) -> PlanShape:
        """derive(structure), and a trim soon after when the structure is a large plan's (read anew, as it was)."""
        found = derive(structure)
        if self.trim is not None and found.size >= TRIM_AFTER_RECORDS:
            self.trim.soon()
        return found

    def _forget(self, key: tuple[int, str], shape: PlanShape) -> None:
        """Drop the shape kept under `key` if it is still `shape` (its structure is gone)."""
        kept = self.kept.pop(key)
        if kept is not None and kept is not shape:
            self.kept.put(key, kept)


def _size(shape: PlanShape) -> int:
    return shape.size
