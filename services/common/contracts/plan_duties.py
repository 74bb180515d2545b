"""A plan's duties as reporting_api's obligations read them from tasks_api: the plan, its items' facts and its
responsibilities (GET /v1/plans/{id}/duties/columns), held as columns.

notify_api's dispatch asks reporting_api for every plan's obligations, and each answer rests on the whole plan. Read
from the plan's structure, a plan of 50,000 items was a 27 MB answer (a third of it indicators obligations never
read) that tasks_api built in 0.9 s of CPU and this side decoded and validated in half a second; the duties alone are
16 MB built in 0.6 s. Validated a slice at a time, each slice's records become columns (columns.py) at once: plan 1 of
the bench held 29 MB as slotted records, 18.6 MB as columns. The ids are arrays, so they are not shared through the
parse's table (plan_rows.SharedId); the dates and repeated names are. Read past the peer
cache: a province's plans never fit it, and the roll-ups' own structures stay in it.

tasks_api sends the columns themselves, in blocks of a list per field: plan 1's 8.9 MB instead of 16.4 as records,
parsed in 121 ms instead of 348-411, a slice of blocks at a time as it arrives (its resident set's peak +14 MB
against +17 MB as records; validated whole, +75 MB).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.common.contracts.columns import Columns
from services.common.contracts.plan_rows import Shared, SharedDate
from services.common.contracts.sliced import ChunkedDocument
from services.common.contracts.tasks import Plan, TasksClient
from services.common.peer_records import PeerRecord


@dataclass(frozen=True, slots=True)
class DutyItem:
    """What decides whether an item owes a report (its kind, end and close-out), and what an obligation shows of it
    (reporting_api's periods/obligations.ItemFacts and ItemLabel)."""

    id: int
    kind: Shared
    key: str
    number: str
    title: str
    due_on: SharedDate | None
    closed_on: SharedDate | None = None  # 办结销号; absent from a tasks_api without close-outs
    status: Shared = "open"  # a cancelled item owes nothing; absent from a tasks_api that did not say


@dataclass(frozen=True, slots=True)
class DutyAssignment:
    """A responsibility of a unit for an item (the structure's PlanAssignment, its ids plain ints: held in arrays,
    they need no object shared per document)."""

    id: int
    item_id: int
    unit_id: int
    unit_name: Shared
    role: Shared


class PlanDuties(PeerRecord):
    """The plan, its items in id order and its responsibilities of a unit in id order."""

    peer = "tasks_api"
    plan: Plan
    items: Columns[DutyItem]
    assignments: Columns[DutyAssignment]


DUTIES_LISTS = ("items", "assignments")  # as tasks_api writes them, after the plan


def _duties() -> ChunkedDocument[PlanDuties]:
    """Validated a slice of each list at a time as it arrives (sliced.py): a province's duties are 9 MB of JSON."""
    return ChunkedDocument(PlanDuties, DUTIES_LISTS)


async def plan_duties(tasks: TasksClient, plan_id: int) -> PlanDuties:
    """The plan's duties, asked now (404 for an unknown plan); an answer outside the contract is tasks_api's 503."""
    return (await tasks.http.get_parsed(f"/v1/plans/{plan_id}/duties/columns", _duties, cache=False))[1]
