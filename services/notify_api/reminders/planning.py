"""A dispatch's planning: what it reads of its own tables first (Setup), then each source's deadlines planned and
addressed as soon as the peers answer them (Planner, the `take` of deadlines.each_source), with the time each phase
took (Phases)."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from services.common.contracts.tasks import TasksClient
from services.notify_api.deliveries.models import Level
from services.notify_api.reminders.addressing import (
    Addressed,
    ContactBook,
    Due,
    Pauses,
    PlanContext,
    address,
    due_today,
    escalation,
)
from services.notify_api.reminders.deadlines import Deadline
from services.notify_api.reminders.escalations import Escalation
from services.notify_api.rules.rule import Rule


@dataclass(frozen=True, slots=True)
class Setup:
    """What a dispatch reads from notify_api's own database before it asks the peers anything."""

    reach: ContactBook
    book: dict[tuple[int, str], Rule]
    pauses: Pauses
    escalations_wanted: bool  # an enabled subscription takes notice.escalated


@dataclass(slots=True)
class Phases:
    """Seconds a dispatch spent in each phase: the benchmark reports them (bench/dispatch.py), to show where a
    dispatch's time goes; delivery is timed by the deliverer's own figure. Planning and addressing happen while the
    peers are still read (Planner): `read_peers` is the time the read took beside them, the rest of its wall clock."""

    read_peers: float = 0.0
    plan: float = 0.0
    address: float = 0.0
    write: float = 0.0

    @contextmanager
    def timing(self, phase: str) -> Iterator[None]:
        """Add the block's duration (a monotonic interval, not the wall clock) to `phase`."""
        started = time.perf_counter()
        try:
            yield
        finally:
            setattr(self, phase, getattr(self, phase) + time.perf_counter() - started)


class PlanContexts:
    """Each plan's context (its title, its items' lead leaders) read once, by the first batch of deadlines that
    names the plan; the others wait for the same read."""

    def __init__(self, tasks: TasksClient) -> None:
        self.tasks, self.reads = tasks, dict[int, asyncio.Future[PlanContext]]()

    async def of(self, plan_ids: set[int]) -> dict[int, PlanContext]:
        for plan_id in plan_ids - self.reads.keys():
            self.reads[plan_id] = asyncio.ensure_future(plan_context(self.tasks, plan_id))
        ordered = sorted(plan_ids)
        return dict(zip(ordered, await asyncio.gather(*map(self.reads.__getitem__, ordered)), strict=True))

    def drop(self) -> None:
        """Cancel the reads still going (a dispatch that failed elsewhere)."""
        for read in self.reads.values():
            read.cancel()


async def plan_context(tasks: TasksClient, plan_id: int) -> PlanContext:
    # The deadlines carry their items' titles: only the plan's title and its lead leaders are read here.
    plan, leaders = await asyncio.gather(tasks.plan(plan_id), tasks.plan_item_leader_rows(plan_id))
    by_item: dict[int, list[int]] = defaultdict(list)
    for leader in leaders:
        by_item[leader["item_id"]].append(leader["leader_id"])
    return PlanContext(plan.title, by_item)


DueStep = tuple[tuple[date, str, str, int], list[Addressed], Escalation | None]  # a due step, by its deadline's order


@dataclass(slots=True)
class Planner:
    """Plans and addresses one batch of deadlines at a time (each_source's `take`), timing both phases."""

    setup: Setup
    contexts: PlanContexts
    base_url: str
    today: date
    phases: Phases = field(default_factory=Phases)

    async def take(self, deadlines: list[Deadline]) -> list[DueStep]:
        with self.phases.timing("plan"):
            due = due_today(deadlines, self.setup.book, self.setup.pauses, self.today)
        contexts = await self.contexts.of({d.deadline.plan_id for d in due})
        with self.phases.timing("address"):
            return [self._addressed(d, contexts[d.deadline.plan_id]) for d in due]

    def _addressed(self, due: Due, context: PlanContext) -> DueStep:
        setup, base, today = self.setup, self.base_url, self.today
        red = setup.escalations_wanted and due.step.level is Level.RED
        found = address(due, context, setup.reach, base, today)
        return due.deadline.sort_key, found, escalation(due, context, base, today) if red else None
