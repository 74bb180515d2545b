"""The records of a plan's structure (GET /v1/plans/{id}/structure) as plain slotted dataclasses, not models.

A plan of the province lists 50,000 items, 100,000 responsibilities and 50,000 indicators in one answer. As frozen
models each record kept a dict of its fields and a set of the fields set (~1 KB a record): plan 1 of the bench's
set took 330 MB in reporting_api. pydantic still validates these from the answer's bytes (PlanStructure in
tasks.py, one model holding the lists, a slice of each list at a time: sliced.py), straight into the slotted
instances: ~110 bytes a record, the structure 60 MB, its parse a third of the time. Unknown fields are ignored,
as with every record a peer answers with. Consumers must not change them (frozen).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from pydantic import AfterValidator

# A text thousands of records repeat (a unit's name, a role, a kind, a status): one string they all share, not one
# each. pydantic's string cache shared them until it was kept to keys (peer_records.PEER_PARSING); an interned
# string still goes with the last record that holds it. Plan 1's duties in reporting_api: 15 MB less.
Shared = Annotated[str, AfterValidator(sys.intern)]


@dataclass(frozen=True, slots=True)
class PlanItem:
    id: int
    plan_id: int
    parent_id: int | None
    key: str
    kind: Shared
    number: str
    title: str
    due_on: date | None
    status: Shared
    closed_on: date | None = None  # 办结销号: the day the office approved the close-out; no report is owed after it


@dataclass(frozen=True, slots=True)
class PlanAssignment:
    """A responsibility of a unit for an item of the plan."""

    id: int
    item_id: int
    unit_id: int
    unit_name: Shared
    role: Shared


@dataclass(frozen=True, slots=True)
class PlanIndicator:
    id: int
    item_id: int
    key: str
    name: str
    measure: str
    baseline: float | None
    target: float
    comparison: str
    target_date: date
    yearly_targets: dict[int, float] | None = None
