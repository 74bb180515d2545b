"""The typed client of tasks_api (openapi/tasks_api.json), for reporting_api and notify_api.

Only the fields the consumers read are declared; unknown fields are ignored, so tasks_api may add
fields without breaking its consumers (the contract tests check the other direction).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from pydantic import Field, field_validator
from typing_extensions import TypedDict  # pydantic validates typing.TypedDict only from Python 3.12

from services.common.contracts.plan_rows import PlanAssignment, PlanIndicator, PlanItem
from services.common.contracts.sliced import ChunkedDocument
from services.common.http import ServiceClient
from services.common.peer_records import PeerRecord, PeerRows


class _Record(PeerRecord):
    peer = "tasks_api"


class Plan(_Record):
    id: int
    key: str
    title: str
    starts_on: date
    ends_on: date
    status: str


class Item(_Record):
    id: int
    plan_id: int
    parent_id: int | None
    key: str
    kind: str
    number: str
    title: str
    due_on: date | None
    status: str
    closed_on: date | None = None  # 办结销号: the day the office approved the close-out; no report is owed after it


class UnitItem(Item):
    """An item a unit is responsible for, with the unit's role in it (GET /v1/units/{unit_id}/items)."""

    role: str


class UnitRole(_Record):
    unit_id: int
    unit_name: str
    role: str


class LeaderRef(_Record):
    id: int
    name: str


class ItemDetail(Item):
    responsibilities: list[UnitRole]
    lead_leaders: list[LeaderRef]

    @field_validator("responsibilities", mode="before")
    @classmethod
    def _units_only(cls, rows: Any) -> Any:
        """A collective placeholder (市级有关部门, no unit yet) is nobody's duty: it owes no report, gets no reminder
        and is never assessed, so the consumers never see it. (Assignments and deadlines never list one.)"""
        if not isinstance(rows, list):
            return rows
        return [row for row in rows if not isinstance(row, dict) or row.get("unit_id") is not None]


class ItemRef(_Record):
    id: int


class ItemLeader(_Record):
    item_id: int
    leader_id: int
    name: str


class Unit(_Record):
    id: int
    name: str
    kind: str
    contact_email: str | None = None


class Group(_Record):
    id: int
    plan_id: int
    key: str
    name: str
    kind: str


class Member(_Record):
    leader_id: int
    role: str


class ItemLink(_Record):
    """What an item serves (上级任务): an item of a higher-level plan, or an external task (`reference`)."""

    item_id: int
    serves_item_id: int | None
    reference: str | None
    number: str
    title: str | None
    plan_title: str | None


class PlanStructure(_Record):
    """A plan with its items, assignments, indicators and links, read in one answer (GET /v1/plans/{id}/structure); the
    lists' records slotted dataclasses, not models (plan_rows.py)."""

    plan: Plan
    items: list[PlanItem]
    assignments: list[PlanAssignment]
    indicators: list[PlanIndicator]
    links: list[ItemLink] = Field(default_factory=list)  # tasks_api before 3.1.0 answered without them


STRUCTURE_LISTS = ("items", "assignments", "indicators", "links")  # as tasks_api writes them, after the plan


def _structure() -> ChunkedDocument[PlanStructure]:
    """Validated a slice of each list at a time as it arrives (sliced.py): a province's structure is 26 MB of JSON."""
    return ChunkedDocument(PlanStructure, STRUCTURE_LISTS)


class UnitRoleRow(TypedDict):
    unit_id: int
    unit_name: str
    role: str


class DeadlineRow(TypedDict):
    """Something due on a day of an open item, as a plain typed dict (a dispatch reads tens of thousands at once)."""

    kind: str
    id: int
    item_id: int
    plan_id: int
    item_key: str
    item_number: str
    item_title: str
    title: str
    due_on: date
    units: list[UnitRoleRow]


class ItemLeaderRow(TypedDict):
    item_id: int
    leader_id: int


class AssignmentRow(TypedDict):
    """A responsibility as a plain typed dict (the ledger reads a whole province's, 100,000, at once)."""

    id: int
    item_id: int
    unit_id: int
    unit_name: str
    role: str


class IndicatorLabelRow(TypedDict):
    """What the ledger shows of an indicator."""

    id: int
    name: str
    measure: str


class DelegationRow(TypedDict):
    """A delegation (转办) of an item from a unit to one of its sub-units: who reviews the delegate's reports."""

    id: int
    item_id: int
    from_unit_id: int
    to_unit_id: int
    to_unit_name: str
    status: str


DEADLINE_ROWS = PeerRows(DeadlineRow, peer="tasks_api")
DELEGATION_ROWS = PeerRows(DelegationRow, peer="tasks_api")
ASSIGNMENT_ROWS = PeerRows(AssignmentRow, peer="tasks_api")
INDICATOR_LABEL_ROWS = PeerRows(IndicatorLabelRow, peer="tasks_api")
ITEM_LEADER_ROWS = PeerRows(ItemLeaderRow, peer="tasks_api")
# A plan's responsibilities and indicators: the slotted records of its structure (plan_rows.py), not models.
PLAN_ASSIGNMENT_ROWS = PeerRows(PlanAssignment, peer="tasks_api")
PLAN_INDICATOR_ROWS = PeerRows(PlanIndicator, peer="tasks_api")


class TasksClient:
    """What reporting_api and notify_api ask of tasks_api."""

    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def plan(self, plan_id: int) -> Plan:
        return Plan.model_validate(await self.http.get(f"/v1/plans/{plan_id}"))

    async def item(self, item_id: int, *, fresh: bool = False) -> ItemDetail:
        """The item with its responsibilities; `fresh` asks tasks_api now, past the cache, for a decision a write
        rests on (who may file): a cached answer may be older than an assignment another replica already saw."""
        return ItemDetail.model_validate(await self.http.get(f"/v1/items/{item_id}", cache=not fresh))

    async def unit_item_ids(self, unit_id: int, role: str) -> set[int]:
        """Ids of the items the unit is responsible for in this role (lead or co)."""
        rows = await self.http.get_all(f"/v1/units/{unit_id}/items", {"role": role})
        return {ItemRef.model_validate(row).id for row in rows}

    async def unit_items(self, unit_id: int) -> list[UnitItem]:
        """The items the unit is responsible for (lead or co), with its role in each."""
        return await self.http.get_all_parsed(f"/v1/units/{unit_id}/items", UnitItem.validate_rows)

    async def item_delegations(self, item_id: int) -> list[DelegationRow]:
        """The item's delegations, withdrawn ones too, asked now (past the cache): who may file and review rests on
        them."""
        return DELEGATION_ROWS.validate(await self.http.get_all(f"/v1/items/{item_id}/delegations", cache=False))

    async def item_indicators(self, item_id: int) -> list[PlanIndicator]:
        return PLAN_INDICATOR_ROWS.validate(await self.http.get_all(f"/v1/items/{item_id}/indicators"))

    async def plan_structure(self, plan_id: int) -> tuple[str | None, PlanStructure]:
        """The plan's structure and its ETag (a digest of the answer: equal tags, equal structures); the very object
        read before while tasks_api says it has not changed. Callers must not change it."""
        return await self.http.get_parsed(f"/v1/plans/{plan_id}/structure", _structure)

    async def plan_items(self, plan_id: int) -> list[Item]:
        return await self.http.get_all_parsed(f"/v1/plans/{plan_id}/items", Item.validate_rows)

    async def plan_assignments(self, plan_id: int) -> list[PlanAssignment]:
        return await self.http.get_all_parsed(f"/v1/plans/{plan_id}/assignments", PLAN_ASSIGNMENT_ROWS.validate)

    async def plan_indicators(self, plan_id: int) -> list[PlanIndicator]:
        return await self.http.get_all_parsed(f"/v1/plans/{plan_id}/indicators", PLAN_INDICATOR_ROWS.validate)

    # One by one and past the cache, for a one-off read of a whole plan (see ServiceClient.each_parsed).

    def each_plan_item(self, plan_id: int) -> AsyncIterator[Item]:
        return self.http.each_parsed(f"/v1/plans/{plan_id}/items", Item.model_validate)

    def each_plan_assignment(self, plan_id: int) -> AsyncIterator[AssignmentRow]:
        return self.http.each_row(f"/v1/plans/{plan_id}/assignments", ASSIGNMENT_ROWS.validate)

    def each_plan_indicator_label(self, plan_id: int) -> AsyncIterator[IndicatorLabelRow]:
        return self.http.each_row(f"/v1/plans/{plan_id}/indicators", INDICATOR_LABEL_ROWS.validate)

    async def plan_item_leader_rows(self, plan_id: int) -> list[ItemLeaderRow]:
        return ITEM_LEADER_ROWS.validate(await self.http.get_all(f"/v1/plans/{plan_id}/item-leaders"))

    async def plan_item_leaders(self, plan_id: int) -> list[ItemLeader]:
        return await self.http.get_all_parsed(f"/v1/plans/{plan_id}/item-leaders", ItemLeader.validate_rows)

    async def unit(self, unit_id: int) -> Unit:
        return Unit.model_validate(await self.http.get(f"/v1/units/{unit_id}"))

    async def leader(self, leader_id: int) -> LeaderRef:
        return LeaderRef.model_validate(await self.http.get(f"/v1/leaders/{leader_id}"))

    async def units(self) -> list[Unit]:
        return await self.http.get_all_parsed("/v1/units", Unit.validate_rows)

    async def groups(self, plan_id: int, kind: str | None = None) -> list[Group]:
        rows = await self.http.get_all("/v1/groups", {"plan_id": plan_id, "kind": kind})
        return [Group.model_validate(r) for r in rows]

    async def group_members(self, group_id: int) -> list[Member]:
        return await self.http.get_all_parsed(f"/v1/groups/{group_id}/members", Member.validate_rows)

    async def deadlines(self, start: date, end: date, **filters: Any) -> list[DeadlineRow]:
        """Everything due in [start, end], all pages, each asked for again with its ETag (a dispatch reads the same
        window a minute later): a page tasks_api answers 304 is the rows parsed before. Callers must not change them."""
        query = {"from": start.isoformat(), "to": end.isoformat(), **filters}
        return await self.http.revalidated.rows("/v1/deadlines", DEADLINE_ROWS, query)
