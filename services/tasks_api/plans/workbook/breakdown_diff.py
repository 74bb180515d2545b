"""What an upload of the breakdown workbook changes, and the version a workbook was exported from.

The diff compares the plan file before and after the workbook's rows are applied, record by record and by the
same keys the importer matches on (item key; item key + unit; item key + indicator key; item key + milestone
title), so it lists exactly what the import would write. The version is a fingerprint of the plan's item tree
(every field of every item, responsibility, indicator and milestone): any change to them, through the API or an
upload, gives another one, without a counter every write path would have to bump.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from services.common.json import JsonObject, JsonValue
from services.tasks_api.items.models import Role
from services.tasks_api.plans.files.plan_file import ItemEntry, PlanFile
from services.tasks_api.plans.schemas import ImportResult
from services.tasks_api.plans.workbook.workbook import DUTIES, INDICATORS, ITEMS, MILESTONES

_PARTS = ("children", "units", "indicators", "milestones", "lead_leaders")  # an item's lists: compared on their own
# What an item's row carries that an upload never writes: its status changes by close-out (办结销号) and PATCH only.
_NOT_WRITTEN = ("status",)


def fingerprint(plan_file: PlanFile) -> str:
    """The version of the plan's item tree: a hash of its canonical JSON."""
    tree = json.dumps(
        [_versioned(item) for item in plan_file.items],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(tree.encode()).hexdigest()[:32]


def _versioned(item: ItemEntry) -> JsonObject:
    """The item as the version covers it: without its link (上级任务), which the workbook neither shows nor changes
    (an upload keeps the links as they are then), so a link set meanwhile leaves a workbook current."""
    data: JsonObject = item.model_dump(mode="json", exclude={"serves", "children"})
    children: list[JsonValue] = [_versioned(child) for child in item.children]
    return {**data, "children": children}


# -- the diff's shape -------------------------------------------------------------------------------

# A field's value as JSON (model_dump(mode="json") made it so): text, a number, an ISO date, yearly targets, or
# null; a field the plan file gains later is shown as it is. (Pydantic's JsonValue would say so too, but puts an
# undescribed component into the contract.)
FieldValue = Any


class FieldChange(BaseModel):
    """One field of a record, before and after."""

    field: str = Field(description="The field, as in the plan file (e.g. title, due_on, target, order).")
    before: FieldValue = Field(None, description="Its value before, as JSON (dates as YYYY-MM-DD).")
    after: FieldValue = Field(None, description="Its value after, as JSON (dates as YYYY-MM-DD).")


_CHANGES: list[FieldChange] = Field([], description="The fields that change (empty for a record added or removed).")


class ItemRef(BaseModel):
    """The item a record belongs to."""

    key: str
    number: str
    title: str


class ItemDiff(ItemRef):
    """An item (事项) added, changed or removed; `changes` lists the changed fields."""

    changes: list[FieldChange] = _CHANGES


class ResponsibilityDiff(BaseModel):
    """A unit's responsibility for an item (责任分工), with its role and order as they are after the change (as they
    were, for a removed one)."""

    item: ItemRef = Field(description="The item the unit is responsible for.")
    unit: str = Field(description="The unit's name (责任单位).")
    role: Role
    order: int = Field(description="1 for the lead unit, then the co-operating units in order.")
    changes: list[FieldChange] = _CHANGES


class IndicatorDiff(BaseModel):
    """An indicator (指标) of an item."""

    item: ItemRef = Field(description="The item the indicator measures.")
    key: str
    name: str
    changes: list[FieldChange] = _CHANGES


class MilestoneDiff(BaseModel):
    """A milestone (节点) of an item."""

    item: ItemRef = Field(description="The item the milestone belongs to.")
    title: str
    changes: list[FieldChange] = _CHANGES


T = TypeVar("T", bound=BaseModel)


class Changes(BaseModel, Generic[T]):
    added: list[T] = Field([], description="Records the upload adds.")
    changed: list[T] = Field([], description="Records the upload changes, with the fields before and after.")
    removed: list[T] = Field([], description="Records the upload removes (only with confirm_removals=true).")


class ItemChanges(Changes[ItemDiff]):
    """Items added, changed (fields, parent or position among its siblings) or removed."""


class ResponsibilityChanges(Changes[ResponsibilityDiff]):
    """Responsibilities added, changed (role or order) or removed."""


class IndicatorChanges(Changes[IndicatorDiff]):
    """Indicators added, changed or removed."""


class MilestoneChanges(Changes[MilestoneDiff]):
    """Milestones added, changed or removed."""


@dataclass(frozen=True)
class Removal:
    """A record an upload would remove: where the workbook had it (sheet, item key, its own key) and what it is."""

    location: list[str]
    words: str


class BreakdownDiff(BaseModel):
    """What the upload changes (or, for a dry run, would change)."""

    items: ItemChanges = Field(ItemChanges(), description="Items (事项).")
    responsibilities: ResponsibilityChanges = Field(ResponsibilityChanges(), description="Responsibilities (责任分工).")
    indicators: IndicatorChanges = Field(IndicatorChanges(), description="Indicators (指标).")
    milestones: MilestoneChanges = Field(MilestoneChanges(), description="Milestones (节点).")

    def removals(self) -> list[Removal]:
        """Each record the upload removes: where it was (sheet, item key, its own key) and what it is, in words."""
        return (
            [Removal([ITEMS, d.key], f"item {d.key} {d.title}") for d in self.items.removed]
            + [
                Removal([DUTIES, d.item.key, d.unit], f"responsibility of {d.unit} for item {d.item.key}")
                for d in self.responsibilities.removed
            ]
            + [
                Removal([INDICATORS, d.item.key, d.key], f"indicator {d.key} ({d.name}) of item {d.item.key}")
                for d in self.indicators.removed
            ]
            + [
                Removal([MILESTONES, d.item.key, d.title], f"milestone {d.title} of item {d.item.key}")
                for d in self.milestones.removed
            ]
        )


class BreakdownResult(ImportResult):
    """What an upload did (counts, empty for a dry run) and the diff it applied or would apply."""

    dry_run: bool = Field(description="True when nothing was written (dry_run=true).")
    version: str = Field(description="The breakdown's version after the upload: its ETag, without the quotes.")
    diff: BreakdownDiff = Field(description="What was (or, in a dry run, would be) added, changed and removed.")


# -- computing it -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    item: ItemEntry
    label: str  # the unit, indicator key or milestone title (the item key for an item)
    fields: dict[str, FieldValue]  # compared field by field


Records = dict[tuple[str, ...], _Record]


def _records(plan_file: PlanFile) -> dict[str, Records]:
    """Every record of the item tree by kind and by the identity the importer matches it on."""
    found: dict[str, Records] = {"items": {}, "responsibilities": {}, "indicators": {}, "milestones": {}}
    for item, parent, location in plan_file.walk():
        scalars = item.model_dump(mode="json", exclude={*_PARTS, *_NOT_WRITTEN})
        found["items"][(item.key,)] = _Record(
            item, item.key, {**scalars, "parent": parent.key if parent else None, "position": location[-1]}
        )
        for n, entry in enumerate(item.responsible):
            role = Role.LEAD if n == 0 else Role.CO
            name = entry.unit or entry.printed  # a placeholder (市级有关部门) is known by its printed phrase
            found["responsibilities"][(item.key, name)] = _Record(
                item, name, {"role": role.value, "order": n + 1, "as_printed": entry.as_printed, "group": entry.group}
            )
        for indicator in item.indicators:
            found["indicators"][(item.key, indicator.key)] = _Record(
                item, indicator.key, indicator.model_dump(mode="json")
            )
        for milestone in item.milestones:
            found["milestones"][(item.key, milestone.title)] = _Record(
                item, milestone.title, milestone.model_dump(mode="json")
            )
    return found


def _ref(item: ItemEntry) -> ItemRef:
    return ItemRef(key=item.key, number=item.number, title=item.title)


_DESCRIBE: dict[str, Callable[[_Record, list[FieldChange]], BaseModel]] = {
    "items": lambda r, changes: ItemDiff(**_ref(r.item).model_dump(), changes=changes),
    "responsibilities": lambda r, changes: ResponsibilityDiff(
        item=_ref(r.item), unit=r.label, role=r.fields["role"], order=r.fields["order"], changes=changes
    ),
    "indicators": lambda r, changes: IndicatorDiff(
        item=_ref(r.item), key=r.label, name=r.fields["name"], changes=changes
    ),
    "milestones": lambda r, changes: MilestoneDiff(item=_ref(r.item), title=r.label, changes=changes),
}


def _field_changes(before: dict[str, FieldValue], after: dict[str, FieldValue]) -> list[FieldChange]:
    names = [*after, *(name for name in before if name not in after)]
    return [
        FieldChange(field=name, before=before.get(name), after=after.get(name))
        for name in names
        if before.get(name) != after.get(name)
    ]


def _compare(kind: str, before: Records, after: Records) -> dict[str, list[BaseModel]]:
    describe = _DESCRIBE[kind]
    changed = (
        (record, _field_changes(before[ident].fields, record.fields))
        for ident, record in after.items()
        if ident in before
    )
    return {
        "added": [describe(record, []) for ident, record in after.items() if ident not in before],
        "changed": [describe(record, changes) for record, changes in changed if changes],
        "removed": [describe(record, []) for ident, record in before.items() if ident not in after],
    }


def diff_plans(before: PlanFile, after: PlanFile) -> BreakdownDiff:
    """The records of the item tree that `after` adds, changes or removes, compared with `before`."""
    old, new = _records(before), _records(after)
    return BreakdownDiff.model_validate({kind: _compare(kind, old[kind], new[kind]) for kind in old})
