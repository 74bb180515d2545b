"""The last answers of a pure computation, each kept with the very inputs it was computed from.

A roll-up's rules (rollups.py, lights.py, indicators.py) are pure functions of the plan from tasks_api, the
plan's rules and due date, and the period's rows; recomputing them cost more than reading those rows. So the
rows are still read on every request, and the answer is reused only when every input equals the one it was
computed from: no revision to forget, no stale answer. Comparing is cheap where it matters: the plan is compared
by the ETag tasks_api gives its structure (a digest of the answer: equal tags, equal plans; oversight/inputs.py), so
a kept answer does not keep the plan's records alive, and the period's rows compare as tuples.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from services.common.caching import BoundedCache, lru_cache


class InputMemo:
    """Up to `size` answers, the least recently used dropped first. One per app (app.state.rollup_memo)."""

    def __init__(self, size: int) -> None:
        self.answers: BoundedCache[Hashable, tuple[Any, Any]] = lru_cache("roll-ups", size)

    def get(self, key: Hashable, inputs: Any) -> Any | None:
        """The answer kept for `key`, if it was computed from inputs equal to `inputs`."""
        known = self.answers.get(key)
        if known is None or known[0] != inputs:
            return None
        return known[1]

    def keep(self, key: Hashable, inputs: Any, answer: Any) -> None:
        self.answers.put(key, (inputs, answer))
