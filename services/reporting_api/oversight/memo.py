"""The last answers of a pure computation, each kept with the very inputs it was computed from.

A roll-up's rules (rollups.py, lights.py, indicators.py) are pure functions of the plan from tasks_api, the
plan's rules and due date, and the period's rows; recomputing them cost more than reading those rows. So the
rows are still read on every request, and the answer is reused only when every input equals the one it was
computed from: no revision to forget, no stale answer. Comparing is cheap where it matters: the plan is compared
by the ETag tasks_api gives its structure (a digest of the answer: equal tags, equal plans; oversight/inputs.py), so
a kept answer does not keep the plan's records alive, and the period's rows compare as tuples.

A roll-up compares the rows as they were read, one row of texts a statement (oversight/period_rows.py); what its
lights and counts derive from them (parsed, folded) is kept here too, under the plan and period alone, so that a
roll-up of the same period by another grouping or as of another day derives nothing the rows did not change. The
reports compliance reads of a period are kept here parsed too (filed.period_filed). What is kept is still counted in
rows, so the memo is bounded by them too: a roll-up of the bench's plan 1 once kept ~38 MB of its period's rows
(100,000 responsibilities), which stayed in reporting_api after the request. An answer counts its rows (those of its
inputs and its own), and at least a `size`-th of the bound, so that no more than `size` are kept; one larger than the
whole bound is not kept (that plan's roll-up is computed anew each time).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from services.common.caching import BoundedCache, sized_lru_cache

T = TypeVar("T")


class InputMemo:
    """Up to `size` answers of at most `rows` rows in all, the least recently used dropped first. One per app
    (app.state.rollup_memo)."""

    def __init__(self, size: int, rows: int = 40_000) -> None:
        least = max(1, rows // size)  # what each answer counts at least: no more than `size` fit
        self.answers: BoundedCache[Hashable, tuple[Any, Any, int]] = sized_lru_cache(
            "roll-ups", max(rows, least), lambda kept: max(kept[2], least)
        )

    def get(self, key: Hashable, inputs: Any) -> Any | None:
        """The answer kept for `key`, if it was computed from inputs equal to `inputs`."""
        known = self.answers.get(key)
        if known is None or known[0] != inputs:
            return None
        return known[1]

    def keep(self, key: Hashable, inputs: Any, answer: Any, rows: int = 1) -> None:
        """Keep `answer` with `inputs`, counted as `rows` (those of the inputs and of the answer)."""
        self.answers.put(key, (inputs, answer, rows))

    def derived(self, key: Hashable, inputs: Any, compute: Callable[[], T], rows: int = 1) -> T:
        """What `compute` derives from `inputs`: kept under `key` like an answer, and computed again only when the
        inputs differ from those it was derived from (the period's rows parsed once for every grouping and day)."""
        found: T | None = self.get(key, inputs)
        if found is None:
            found = compute()
            self.keep(key, inputs, found, rows)
        return found
