"""A roll-up's rows counted over a grouping's layout: what the plan alone gives, kept with the plan's shape; what a
period gives, kept as read; and each group's row built only when a page shows it.

A plan groups by unit into thousands of groups and a page shows fifty: a roll-up built and encoded every group's
row (a dict of fourteen fields, two nested, each counted over the group's items) on every new `as_of`, two thirds
of its time. Now the layout's order, its pairs and items, and the units or items each group adds up are derived
once per plan shape (Tally); a request judges the lights per item and keeps the period's filed counts per unit or
item as columns (filed_counts.py), and builds the rows of the groups the page shows (Tallied.row), each summing its
keys' counts then.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import overload

import orjson

from services.common.json import render
from services.reporting_api.oversight.filed_counts import (
    ACCEPTED,
    AWAITING,
    DRAFT,
    LATE,
    ON_TIME,
    REOPENED,
    RETURNED,
    SUBMITTED,
    FiledCounts,
)
from services.reporting_api.oversight.lights import LIGHTS
from services.reporting_api.oversight.progress import PROGRESS
from services.reporting_api.oversight.schemas.rows import RollupEntry

GroupRef = tuple[int | None, str | None, str]  # id, key, name
Layout = list[tuple[GroupRef, list[int]]]  # each group, in the answer's order, with the item id of each of its pairs


@dataclass(frozen=True, slots=True)
class Tally:
    """A grouping's layout as a roll-up counts it: the groups in the answer's order, the item id of each group's
    expected pairs, each group's distinct items, and the keys (unit or item ids, as the period's filed counts are
    keyed) each group adds up. Plain ids and names: it keeps no record of the plan."""

    refs: tuple[GroupRef, ...]
    pairs: tuple[tuple[int, ...], ...]
    items: tuple[tuple[int, ...], ...]
    keys: tuple[tuple[int, ...], ...]

    def __len__(self) -> int:
        return len(self.refs)


def tally_of(groups: Mapping[int, list[GroupRef]], layout: Layout) -> Tally:
    """The tally of a grouping (rollups.groups_by_key) and its layout (rollups.layout_of)."""
    at = {ref: n for n, (ref, _) in enumerate(layout)}
    keys: list[list[int]] = [[] for _ in layout]
    for key, refs in groups.items():
        for ref in refs:
            if ref in at:
                keys[at[ref]].append(key)
    return Tally(
        refs=tuple(ref for ref, _ in layout),
        pairs=tuple(tuple(pairs) for _, pairs in layout),
        items=tuple(tuple(dict.fromkeys(pairs)) for _, pairs in layout),
        keys=tuple(map(tuple, keys)),
    )


@dataclass(frozen=True, slots=True)
class Tallied:
    """A period counted over a tally: the filed counts per unit or item (filed_counts.FiledCounts, summed per group
    when its row is built), each item's (light, progress status) (lights.lights_by_item), whether the due date has
    passed, and the items that owe nothing (closed)."""

    tally: Tally
    filed: FiledCounts
    lights: Mapping[int, tuple[str, str]]
    overdue: bool
    not_owed: Collection[int] = ()

    def __len__(self) -> int:
        return len(self.tally)

    def row(self, position: int) -> RollupEntry:
        """The row of the group at `position` in the answer's order."""
        tally, not_owed = self.tally, self.not_owed
        ref, pairs, items = tally.refs[position], tally.pairs[position], tally.items[position]
        expected = len(pairs) - sum(item_id in not_owed for item_id in pairs) if not_owed else len(pairs)
        filed = self.filed.summed(tally.keys[position])
        submitted = filed[SUBMITTED]
        lights, progress = dict.fromkeys(LIGHTS, 0), dict.fromkeys(PROGRESS, 0)
        for found in map(self.lights.get, items):
            if found is not None:
                lights[found[0]] += 1
                progress[found[1]] += 1
        return {
            "group": {"id": ref[0], "key": ref[1], "name": ref[2]},
            "expected": expected,
            "submitted": submitted,
            "awaiting_review": filed[AWAITING],
            "accepted": filed[ACCEPTED],
            "returned": filed[RETURNED],
            "draft": filed[DRAFT],
            "missing": max(0, expected - submitted - filed[DRAFT] + filed[REOPENED]),  # a reopened draft: counted once
            "on_time": filed[ON_TIME],
            "late": filed[LATE],
            "overdue": max(0, expected - submitted) if self.overdue else 0,
            "items": len(items),
            "lights": {
                "green": lights["green"],
                "yellow": lights["yellow"],
                "red": lights["red"],
                "done": lights["done"],
            },
            "progress": {
                "not_started": progress["not_started"],
                "in_progress": progress["in_progress"],
                "completed": progress["completed"],
                "closed": progress["closed"],
            },
        }

    def rows(self) -> list[RollupEntry]:
        """Every group's row, in the answer's order (a closed period's snapshot keeps them all)."""
        return [self.row(position) for position in range(len(self.tally))]


def counted(
    tally: Tally,
    filed: FiledCounts,
    lights: Mapping[int, tuple[str, str]],
    overdue: bool,
    not_owed: Collection[int] = (),
) -> Tallied:
    """The period counted over a tally, each group's row built when asked (Tallied.row)."""
    return Tallied(tally, filed, lights, overdue, not_owed)


class EncodedRows(Sequence[orjson.Fragment]):
    """A roll-up's rows, each built and encoded the first time a page shows it, then kept: the answer is shared
    between requests (memo.py), so a later page, or the same page asked again, is a slice of fragments kept."""

    def __init__(self, tallied: Tallied) -> None:
        self._tallied = tallied
        self._encoded: list[orjson.Fragment | None] = [None] * len(tallied)

    def __len__(self) -> int:
        return len(self._encoded)

    @overload
    def __getitem__(self, at: int) -> orjson.Fragment: ...

    @overload
    def __getitem__(self, at: slice) -> list[orjson.Fragment]: ...

    def __getitem__(self, at: int | slice) -> orjson.Fragment | list[orjson.Fragment]:
        positions = range(len(self._encoded))
        if isinstance(at, slice):
            return [self._encode(position) for position in positions[at]]
        return self._encode(positions[at])

    def _encode(self, position: int) -> orjson.Fragment:
        found = self._encoded[position]
        if found is None:
            found = self._encoded[position] = orjson.Fragment(render(self._tallied.row(position)))
        return found
