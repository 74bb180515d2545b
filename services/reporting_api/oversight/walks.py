"""Compliance walks: the view a first page computed, kept briefly so that the pages after it cost a slice.

A plan's compliance is computed from the whole plan (every expected item × unit, read from tasks_api) however
small the page, so reading it page by page recomputed it once per page: quadratic in the plan's size
(notify_api's planner walks the province plan's 100,000 pairs in 200 pages). A first page (no cursor) always
computes afresh, and keeps the view when more pages follow; a page with a cursor continues that view while it
is fresh, so one walk also sees one consistent view. A replica that does not hold the view computes it again:
correct, only slower.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

from services.common.caching import BoundedCache, ttl_cache
from services.reporting_api.oversight.compliance import CompliancePages
from services.reporting_api.oversight.schemas.rows import ObligationView

WALK_SECONDS = 120.0  # a walk of the largest plan at 500 rows a page takes seconds; this bounds staleness
WALKS_KEPT = 4  # views held at once (the largest is ~100,000 rows): a bound on memory
Walk = CompliancePages | ObligationView  # a view paged by its rows: the compliance of a period, or the obligations


class ComplianceWalks:
    """The last few views that more pages will follow, each until it is `seconds` old. One per app
    (app.state.compliance_walks), so tests' apps on their own databases never share a view."""

    def __init__(
        self, *, seconds: float = WALK_SECONDS, kept: int = WALKS_KEPT, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.views: BoundedCache[Hashable, Walk] = ttl_cache("compliance walks", kept, seconds, clock)

    def get(self, key: Hashable) -> Walk | None:
        """The view kept under `key`, unless it is stale or was never kept."""
        return self.views.get(key)

    def keep(self, key: Hashable, view: Walk) -> None:
        self.views.put(key, view)
