"""Which reports a unit reads, as one rule: its own, those on the items it leads (README, Evidence: a report's readers
are "its unit, the unit leading its item, the office, viewers"), and its delegates' reports on an item it delegated
(转办: "the unit that delegated reads it"). A single read tests one report against the rule (`admits`), a list
selects by it (`clause`): both are said here, side by side, so that a list never shows what a read answers 404."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement

from services.common.contracts.tasks import TasksClient
from services.reporting_api.reports.delegates import DELEGATE, delegates_of, item_delegations
from services.reporting_api.reports.repository import reports


@dataclass(frozen=True, slots=True)
class UnitScope:
    """What a unit reads: its own reports, those on the items it leads and, on `delegated_item` only, the reports
    its delegates filed as delegates (a report a sub-unit files in its own right, as a responsible unit, is not its
    delegating unit's to read)."""

    unit_id: int
    lead_item_ids: Collection[int]
    delegated_item: int | None = None
    delegates: Collection[int] = ()  # on delegated_item: the units whose latest delegation of it came from unit_id

    def admits(self, report: Mapping[str, object]) -> bool:
        """Whether the unit reads this report."""
        if report["unit_id"] == self.unit_id or report["item_id"] in self.lead_item_ids:
            return True
        on_item = self.delegated_item is not None and report["item_id"] == self.delegated_item
        return on_item and report["role"] == DELEGATE and report["unit_id"] in self.delegates

    def clause(self) -> ColumnElement[bool]:
        """The same rule as `admits`, as the condition of a list's statement."""
        seen = (reports.c.unit_id == self.unit_id) | reports.c.item_id.in_(self.lead_item_ids)
        if self.delegated_item is None or not self.delegates:
            return seen
        delegated = reports.c.unit_id.in_(self.delegates) & (reports.c.role == DELEGATE)
        return seen | (delegated & (reports.c.item_id == self.delegated_item))


async def lead_item_ids(tasks: TasksClient, unit_id: int) -> set[int]:
    """Items the unit leads: their co-operating units' reports are the lead's to read."""
    return await tasks.unit_item_ids(unit_id, "lead")


async def unit_scope(tasks: TasksClient, unit_id: int, item_id: int | None) -> UnitScope:
    """What the unit reads, asked of tasks_api now; its delegates' reports on `item_id` when given (a list shows
    them on one item only, and a read of a delegate's report asks about its item alone)."""
    lead = await lead_item_ids(tasks, unit_id)
    if item_id is None:
        return UnitScope(unit_id, lead)
    return UnitScope(unit_id, lead, item_id, delegates_of(await item_delegations(tasks, item_id), unit_id))
