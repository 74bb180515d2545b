"""A plan's duties as reporting_api's obligations read them from tasks_api: the plan, its items' facts and its
responsibilities, out of the plan's structure (GET /v1/plans/{id}/structure) as slotted records.

notify_api's dispatch asks reporting_api for every plan's obligations, and each answer rests on the whole plan:
read as the structure's frozen records (TasksClient.plan_structure) it cost a second and a half of validation for a
plan of 50,000 items, though obligations read neither indicators nor links nor a record's methods. Validated here
into slotted dataclasses, the indicators and links skipped, it costs a third of that. Read past the peer cache: a
province's structures never fit it, and the roll-ups' own structures stay in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict  # pydantic validates typing.TypedDict only from Python 3.12

from services.common.contracts.plan_rows import PlanAssignment
from services.common.contracts.tasks import Plan, TasksClient
from services.common.peer_records import outside_contract


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What decides whether an item owes a report (its kind, end and close-out), and what an obligation shows of it
    (reporting_api's periods/obligations.ItemFacts and ItemLabel)."""

    id: int
    kind: str
    key: str
    number: str
    title: str
    due_on: date | None
    closed_on: date | None = None  # 办结销号; absent from a tasks_api without close-outs


class PlanDutiesRow(TypedDict):
    """The plan, its items in id order and its responsibilities of a unit in id order."""

    plan: Plan
    items: list[ItemFacts]
    assignments: list[PlanAssignment]  # the structure's own record: obligations read all of it


_DUTIES: TypeAdapter[PlanDutiesRow] = TypeAdapter(PlanDutiesRow)


async def plan_duties(tasks: TasksClient, plan_id: int) -> PlanDutiesRow:
    """The plan's duties, asked now (404 for an unknown plan); an answer outside the contract is tasks_api's 503."""
    body = await tasks.http.get(f"/v1/plans/{plan_id}/structure", cache=False)
    try:
        return _DUTIES.validate_python(body)
    except ValidationError as exc:
        raise outside_contract("tasks_api", "PlanDutiesRow", exc) from exc
