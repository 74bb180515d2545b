"""The records of a plan's structure (GET /v1/plans/{id}/structure) as plain slotted dataclasses, not models.

A plan of the province lists 50,000 items, 100,000 responsibilities and 50,000 indicators in one answer. As frozen
models each record kept a dict of its fields and a set of the fields set (~1 KB a record): plan 1 of the bench's
set took 330 MB in reporting_api. pydantic still validates these from the answer's bytes (PlanStructure in
tasks.py, one model holding the lists, a slice of each list at a time: sliced.py), straight into the slotted
instances: ~110 bytes a record, the structure 58 MB, its parse a third of the time; with the ids records refer to
and the dates they repeat shared (SharedId, SharedDate), 46 MB. Unknown fields are ignored, as with every record a
peer answers with. Consumers must not change them (frozen).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from typing import Annotated, TypeVar

from pydantic import AfterValidator, ValidationInfo

# A text thousands of records repeat (a unit's name, a role, a kind, a status): one string they all share, not one
# each. pydantic's string cache shared them until it was kept to keys (peer_records.PEER_PARSING); an interned
# string still goes with the last record that holds it. Plan 1's duties in reporting_api: 15 MB less.
Shared = Annotated[str, AfterValidator(sys.intern)]

Value = TypeVar("Value", int, date)


def _one_per_document(value: Value, info: ValidationInfo) -> Value:
    """The first equal value the document gave, from the table the parse passes as its context (sliced.py): an item's
    id and the item_id of its responsibilities and indicators are one int, a date thousands of records share is one
    date. Only ints and dates go in one table: no int equals a date (a float or a bool could equal an int)."""
    table = info.context
    return value if table is None else table.setdefault(value, value)


# An id other records refer to, and a date many records repeat: one object per document, not one per record. Plan 1 of
# the bench, as reporting_api holds its structure: 58 -> 46 MB (a third fewer objects), for 13 % more parse time.
SharedId = Annotated[int, AfterValidator(_one_per_document)]
SharedDate = Annotated[date, AfterValidator(_one_per_document)]


@dataclass(frozen=True, slots=True)
class PlanItem:
    id: SharedId
    plan_id: int
    parent_id: SharedId | None
    key: str
    kind: Shared
    number: str
    title: str
    due_on: SharedDate | None
    status: Shared
    closed_on: SharedDate | None = None  # 办结销号: the day the office approved the close-out; nothing owed after


@dataclass(frozen=True, slots=True)
class PlanAssignment:
    """A responsibility of a unit for an item of the plan."""

    id: int
    item_id: SharedId
    unit_id: SharedId
    unit_name: Shared
    role: Shared


@dataclass(frozen=True, slots=True)
class PlanIndicator:
    id: int
    item_id: SharedId
    key: str
    name: str
    measure: Shared
    baseline: float | None
    target: float
    comparison: Shared
    target_date: SharedDate
    yearly_targets: dict[int, float] | None = None
