"""A plan's duties as reporting_api's obligations read them from tasks_api: the plan, its items' facts and its
responsibilities (GET /v1/plans/{id}/duties), as slotted records.

notify_api's dispatch asks reporting_api for every plan's obligations, and each answer rests on the whole plan. Read
from the plan's structure, a plan of 50,000 items was a 27 MB answer (a third of it indicators obligations never
read) that tasks_api built in 0.9 s of CPU and this side decoded and validated in half a second; the duties alone are
16 MB built in 0.6 s. Validated into slotted dataclasses, not the structure's frozen records. Read past the peer
cache: a province's plans never fit it, and the roll-ups' own structures stay in it.
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
    body = await tasks.http.get(f"/v1/plans/{plan_id}/duties", cache=False)
    try:
        return _DUTIES.validate_python(body)
    except ValidationError as exc:
        raise outside_contract("tasks_api", "PlanDutiesRow", exc) from exc
