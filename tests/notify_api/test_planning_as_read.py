"""A dispatch plans each source's deadlines as soon as the peers answer them (reminders/planning.py): one plan's
reminders are worked out while another plan's obligations are still being read, and the result is the same, in the
same order, whatever order the peers answer in."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from services.common.contracts.columns import Columns
from services.common.contracts.plan_obligations import Owed
from services.notify_api.reminders.addressing import Reach
from services.notify_api.reminders.planning import Setup
from services.notify_api.reminders.service import due_from_peers

AS_OF = datetime(2025, 1, 3, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, 2025-01-03
DUE_ON = date(2025, 1, 6)  # a blue step is due: three days ahead
PLANS = (1, 2)


def obligation(plan_id: int, unit_id: int) -> Owed:
    item = plan_id * 10
    return Owed(plan_id * 100 + unit_id, item, f"P{plan_id}", str(plan_id), f"Plan {plan_id}'s item", unit_id,
                f"Unit {unit_id}", "lead", "missing", "2024-Q4", "annual", DUE_ON)  # fmt: skip


class Tasks:
    """tasks_api as a dispatch reads it: two active plans, no calendar deadlines; a plan's context read is noted."""

    def __init__(self) -> None:
        self.http = SimpleNamespace(get_all=self._plans)
        self.contexts_asked: list[int] = []
        self.context_asked = asyncio.Event()
        self.context_cancelled = False
        self.hold_contexts = asyncio.Event()
        self.hold_contexts.set()

    async def _plans(self, path: str, *_: Any, **__: Any) -> list[dict[str, Any]]:
        plan = {"key": "p", "title": "t", "starts_on": "2024-01-01", "ends_on": "2025-12-31", "status": "active"}
        return [{**plan, "id": plan_id} for plan_id in PLANS]

    async def deadlines(self, *_: Any, **__: Any) -> list[Any]:
        return []

    async def plan(self, plan_id: int) -> SimpleNamespace:
        self.contexts_asked.append(plan_id)
        self.context_asked.set()
        try:
            await self.hold_contexts.wait()
        except asyncio.CancelledError:
            self.context_cancelled = True
            raise
        return SimpleNamespace(title=f"Plan {plan_id}")

    async def plan_item_leader_rows(self, plan_id: int) -> list[Any]:
        return []


class Reporting:
    """reporting_api's obligations, each plan's answered once `answer[plan]` is set."""

    def __init__(self) -> None:
        self.answer = {plan_id: asyncio.Event() for plan_id in PLANS}
        self.failing: set[int] = set()
        self.http = SimpleNamespace(get_parsed=self._obligations)

    async def _obligations(self, path: str, *_: Any, **__: Any) -> tuple[None, SimpleNamespace]:
        plan_id = int(path.split("/")[3])  # /v1/plans/{id}/obligations/columns
        await self.answer[plan_id].wait()
        if plan_id in self.failing:
            raise RuntimeError(f"plan {plan_id}'s obligations")
        owed = Columns.of(Owed, [obligation(plan_id, unit_id) for unit_id in (1, 2)])
        return None, SimpleNamespace(obligations=owed)

    async def instruction_duties(self, *_: Any, **__: Any) -> list[Any]:
        return []


def setup() -> Setup:
    reach = {("unit", unit_id): [Reach(unit_id, "webhook")] for unit_id in (1, 2)}
    return Setup(reach, {}, [], escalations_wanted=False)


async def find(tasks: Tasks, reporting: Reporting) -> Any:
    settings = SimpleNamespace(public_base_url="https://duban.example")
    return await due_from_peers(setup(), tasks, reporting, settings, as_of=AS_OF)  # type: ignore[arg-type]


def test_a_plans_reminders_are_worked_out_while_another_plans_obligations_are_still_read():
    async def scenario() -> list[int]:
        tasks, reporting = Tasks(), Reporting()
        reporting.answer[1].set()  # plan 2's answer waits for plan 1's planning to ask for its context
        finding = asyncio.ensure_future(find(tasks, reporting))
        await tasks.context_asked.wait()
        asked_before_plan_2 = list(tasks.contexts_asked)
        reporting.answer[2].set()
        await asyncio.wait_for(finding, 5)
        return asked_before_plan_2

    assert asyncio.run(asyncio.wait_for(scenario(), 10)) == [1]


def test_the_reminders_come_in_deadline_order_whichever_plan_answers_first():
    async def found_in(order: tuple[int, ...]) -> list[tuple[int, int]]:
        tasks, reporting = Tasks(), Reporting()
        finding = asyncio.ensure_future(find(tasks, reporting))
        for plan_id in order:
            await asyncio.sleep(0.01)
            reporting.answer[plan_id].set()
        found = await finding
        return [(a.notice.deadline.plan_id, a.recipient_id) for a in found.addressed]

    in_order, reversed_order = asyncio.run(found_in((1, 2))), asyncio.run(found_in((2, 1)))
    assert in_order == reversed_order == [(1, 1), (2, 1), (1, 2), (2, 2)]  # (due_on, kind, period, unit), then plan


def test_a_dispatch_whose_read_fails_leaves_no_context_read_behind():
    async def scenario() -> bool:
        tasks, reporting = Tasks(), Reporting()
        tasks.hold_contexts.clear()  # plan 1's context read is still going when plan 2's read fails
        reporting.failing.add(2)
        reporting.answer[1].set()
        finding = asyncio.ensure_future(find(tasks, reporting))
        await tasks.context_asked.wait()
        reporting.answer[2].set()
        with pytest.raises(RuntimeError, match="plan 2"):
            await finding
        await asyncio.sleep(0)  # the cancelled read runs to its end
        return tasks.context_cancelled

    assert asyncio.run(asyncio.wait_for(scenario(), 10))
