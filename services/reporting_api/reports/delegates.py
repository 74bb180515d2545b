"""Delegation (转办) as reporting_api sees it: a delegate files its report on the delegated item as `delegate`, and the
unit that delegated the item, not the office, reads and reviews it. tasks_api says who delegated to whom; it is asked
now (past the cache) and before any transaction opens."""

from __future__ import annotations

from collections.abc import Sequence

from services.common.contracts.tasks import DelegationRow, TasksClient
from services.common.problems import NotFound, Unprocessable
from services.reporting_api.reports.repository import ReportRow
from services.reporting_api.reports.schemas import MeasurementValue

DELEGATE = "delegate"  # the role of a report a delegate files: it goes to the delegating unit, never to the office


def delegation_to(rows: Sequence[DelegationRow], unit_id: int, *, active: bool = True) -> DelegationRow | None:
    """The delegation of the item to the unit (the latest; with `active`, only one not withdrawn)."""
    held = [row for row in rows if row["to_unit_id"] == unit_id and not (active and row["status"] == "withdrawn")]
    return max(held, key=lambda row: row["id"]) if held else None


def delegates_of(rows: Sequence[DelegationRow], unit_id: int) -> frozenset[int]:
    """The units whose delegate reports on the item the unit reads: those the latest delegation to which came from it.
    Withdrawn or not: a report filed under a delegation stays the delegating unit's to read after it takes the
    delegation back (reviewing it needs the delegation in force: `delegating_unit`, active=True)."""
    latest = (delegation_to(rows, to_unit, active=False) for to_unit in {row["to_unit_id"] for row in rows})
    return frozenset(row["to_unit_id"] for row in latest if row is not None and row["from_unit_id"] == unit_id)


async def item_delegations(tasks: TasksClient, item_id: int) -> list[DelegationRow]:
    """The item's delegations as tasks_api says now; none for an item it no longer holds."""
    try:
        return await tasks.item_delegations(item_id)
    except NotFound:
        return []


async def delegating_unit(tasks: TasksClient, report: ReportRow, *, active: bool) -> int | None:
    """The unit that delegated the report's item to the report's unit (转办单位), as tasks_api says now."""
    delegation = delegation_to(await item_delegations(tasks, report["item_id"]), report["unit_id"], active=active)
    return None if delegation is None else delegation["from_unit_id"]


def refuse_delegate_values(role: str, values: Sequence[MeasurementValue] | None) -> None:
    """A delegate's report carries no indicator values: the figures go up in the responsible unit's report."""
    if role == DELEGATE and values:
        raise Unprocessable(
            "A delegate's report (转办) carries no indicator values; the delegating unit reports them.",
            at=("body", "measurements"),
        )
