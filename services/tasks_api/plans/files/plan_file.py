"""The plan file: a whole plan as YAML (data/plans/*.yaml), its schema and its YAML form (validation.py reads it)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from services.common.strict_json import unsupported_date
from services.tasks_api.db import KEY_PATTERN
from services.tasks_api.items.models import ItemKind, ItemStatus, Role
from services.tasks_api.people.models import GroupKind
from services.tasks_api.tables import REFERENCE, Issuer, PlanStatus, Principle, UnitKind
from services.tasks_api.targets.models import Comparison

# Item statuses typed in before close-out (办结销号) derived them, as plan files and workbooks may still carry them.
LegacyItemStatus = Literal["not_started", "in_progress", "delayed", "completed"]
LEGACY_ITEM_STATUS = {
    "not_started": ItemStatus.OPEN.value,
    "in_progress": ItemStatus.OPEN.value,
    "delayed": ItemStatus.OPEN.value,
    "completed": ItemStatus.CLOSED.value,
}


# The columns' widths (tables.py, items/models.py, targets/models.py, units/models.py), so an import too wide for the
# database is a 422 naming the field, on SQLite as on PostgreSQL; and bounds on every list a file may hold.
UnitName = Annotated[str, StringConstraints(max_length=100)]
LeaderName = Annotated[str, StringConstraints(max_length=50)]
# A list of a plan file (units, leaders, items, children): issue 6's provincial scale (bench/dataset.py) imports a plan
# of 50,000 items naming 3,000 units; the request body's own limit keeps an HTTP import far smaller.
MAX_ENTRIES = 100_000


def _supported(day: date) -> date:
    """A date of the supported years, by the JSON bodies' own rule: their check never sees a YAML file's dates."""
    if (why := unsupported_date(day.isoformat())) is not None:
        raise ValueError(why)
    return day


PlanDate = Annotated[date, AfterValidator(_supported)]


class _Strict(BaseModel):
    # A YAML plan file may write .inf and .nan, which the JSON bodies refuse (strict_json.py): no figure is either.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class PlanHeader(_Strict):
    """The plan's header as a plan file gives it: title, document number, issuers, dates."""

    key: str = Field(pattern=KEY_PATTERN, max_length=64)
    document_number: str = Field("", max_length=100, description="The document number (文号), e.g. 衢委发〔2019〕24号.")
    title: str = Field(min_length=1, max_length=300)
    issuers: list[Issuer] = Field([], max_length=20, description="Who issued the document (印发单位).")
    issued_on: PlanDate | None = None
    starts_on: PlanDate
    ends_on: PlanDate
    status: PlanStatus = PlanStatus.DRAFT
    summary: str = Field("", max_length=20000, description="What the plan is about (概要).")
    general_requirements: str = Field(
        "", max_length=20000, description="The plan's general requirements (总体要求) as printed."
    )
    principles: list[Principle] = Field(
        [], max_length=50, description="The plan's basic principles (基本原则) as printed, in order."
    )


class UnitEntry(_Strict):
    """A unit as a plan file lists it, with every spelling the document uses."""

    name: str = Field(min_length=1, max_length=100)
    kind: UnitKind
    aliases: list[UnitName] = Field(
        [], max_length=50, description="Other spellings of the unit's name in documents (别名)."
    )
    parent: UnitName | None = Field(
        None,
        description="The unit it belongs to (上级单位), by name or alias: a unit of the file or one already known; "
        "left out: the unit's parent stays as it is.",
    )


class LeaderEntry(_Strict):
    """A leader as a plan file lists them."""

    name: str = Field(min_length=1, max_length=50)
    title: str | None = Field(None, max_length=200, description="The leader's title as printed (职务).")


class MemberEntry(_Strict):
    """A group member as a plan file lists them."""

    leader: str = Field(max_length=50, description="The leader's name as printed.")
    role: str = Field(min_length=1, max_length=50)


class GroupEntry(_Strict):
    """A group as a plan file lists it, with its members in printed order."""

    key: str = Field(pattern=KEY_PATTERN, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    kind: GroupKind
    unit: str | None = Field(
        None, max_length=100, description="The unit that hosts the group (牵头单位), by name or alias."
    )
    members: list[MemberEntry] = Field(
        [], max_length=MAX_ENTRIES, description="The group's members in printed order (成员)."
    )


class IndicatorEntry(_Strict):
    """An indicator as a plan file lists it."""

    key: str = Field(pattern=KEY_PATTERN, max_length=80)
    name: str = Field(min_length=1, max_length=200)
    measure: str = Field("", max_length=40, description="The unit of measure (计量单位).")
    baseline: float | None = None
    target: float = Field(description="The value to reach by the target date (目标值).")
    comparison: Comparison = Comparison.AT_LEAST
    target_date: PlanDate
    yearly_targets: dict[int, float] | None = None


class MilestoneEntry(_Strict):
    """A milestone as a plan file lists it."""

    title: str = Field(min_length=1, max_length=300)
    due_on: PlanDate


class ResponsibleEntry(_Strict):
    """A responsible unit as printed, when a plain spelling is not enough: a unit printed under another designation
    (a collective phrase such as 各县（市、区）), a collective placeholder the office must still assign (no unit:
    市级有关部门), or a unit of a later printed group (the document separates groups with "，")."""

    unit: str | None = Field(
        None, max_length=100, description="The unit, by name or alias; left out for a placeholder."
    )
    as_printed: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="The designation as printed, when it is not the unit spelling given.",
    )
    group: int = Field(1, ge=1, description="The printed group, counted from 1.")
    role: Role | None = Field(None, description="lead (牵头) or co (配合); see ItemEntry.units.")

    @model_validator(mode="after")
    def _names_something(self) -> ResponsibleEntry:
        if self.unit is None and self.as_printed is None:
            raise ValueError("a responsible entry needs a unit or, for a placeholder, as_printed")
        return self

    @property
    def printed(self) -> str:
        return self.as_printed or self.unit or ""


def responsible_entry(value: str | ResponsibleEntry) -> ResponsibleEntry:
    """A plain spelling is a unit of the first group, printed as spelled."""
    return value if isinstance(value, ResponsibleEntry) else ResponsibleEntry(unit=value)


class ServesEntry(_Strict):
    """What an item serves (上级任务): an item of another plan in duban, by that plan's key and the item's key or
    number; or a task of a plan duban does not hold, by its reference as printed (with its title and source)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"plan": "zj-yrd-2019", "item": "Z1-3"}]})

    plan: str | None = Field(
        None,
        pattern=KEY_PATTERN,
        max_length=64,
        description="The higher-level plan's key; imported before this one.",
        examples=["zj-yrd-2019"],
    )
    item: str | None = Field(
        None, pattern=KEY_PATTERN, max_length=64, description="The item's key in that plan.", examples=["Z1-3"]
    )
    number: str | None = Field(
        None,
        min_length=1,
        max_length=40,
        description="Instead of `item`: the item's number as printed (编号), if no other item of that plan has it.",
    )
    reference: str | None = Field(None, min_length=1, max_length=200, description=REFERENCE)
    title: str | None = Field(None, min_length=1, max_length=500, description="The external task's title.")
    source: str | None = Field(None, min_length=1, max_length=200, description="The external plan it belongs to.")

    @model_validator(mode="after")
    def _one_target(self) -> ServesEntry:
        if (self.plan is None) == (self.reference is None):
            raise ValueError("serves names either plan (with item or number) or reference (an external task)")
        if self.plan is not None and ((self.item is None) == (self.number is None) or self.title or self.source):
            raise ValueError("an item in duban is named by plan and one of item or number, nothing else")
        if self.reference is not None and (self.item or self.number):
            raise ValueError("an external task is named by reference, title and source")
        return self


class ItemEntry(_Strict):
    """An item as a plan file lists it, with its indicators, milestones and children."""

    key: str = Field(pattern=KEY_PATTERN, max_length=64)
    kind: ItemKind
    number: str = Field("", max_length=40, description="The item's number as printed (编号).")
    title: str = Field(min_length=1, max_length=500)
    text: str = Field("", max_length=20000, description="The item's full text as printed (正文).")
    status: ItemStatus | LegacyItemStatus = Field(
        ItemStatus.OPEN,
        description="Exported as the item stands; an import never changes it (closing is 办结销号 "
        "through the API). The statuses typed in before (not_started …) still load.",
    )
    starts_on: PlanDate | None = None
    due_on: PlanDate | None = None
    units: list[UnitName | ResponsibleEntry] = Field(
        [],
        max_length=100,
        description=(
            "Responsible units in printed order; the first leads, unless an entry names its role (then the one named "
            "lead leads, none: no lead yet, and the others co-operate; an export names them where order cannot). A "
            "unit spelling (kept as printed) or an entry with the unit, the designation as printed and the printed "
            "group; an entry without a unit is a collective placeholder (市级有关部门) the office must still assign."
        ),
    )
    lead_leaders: list[LeaderName] = Field([], max_length=50, description="The leaders who lead the item (牵头领导).")
    indicators: list[IndicatorEntry] = Field(
        [], max_length=MAX_ENTRIES, description="The item's quantitative indicators (量化指标)."
    )
    milestones: list[MilestoneEntry] = Field([], max_length=MAX_ENTRIES, description="The item's milestones (节点).")
    serves: ServesEntry | None = Field(
        None,
        description="What the item serves (上级任务). Left out, the item's link stays as it is; null unlinks it.",
    )
    children: list[ItemEntry] = Field(
        [], max_length=MAX_ENTRIES, description="The items under this one, in printed order."
    )

    @field_validator("status")
    @classmethod
    def _legacy_status(cls, value: str) -> ItemStatus:
        """Files written before progress was derived still load; the status they carry is ignored anyway."""
        return ItemStatus(LEGACY_ITEM_STATUS.get(value, value))

    @model_validator(mode="after")
    def _one_lead(self) -> ItemEntry:
        if sum(entry.role == Role.LEAD for entry in self.responsible) > 1:
            raise ValueError("an item has one lead unit: role lead may be named on one of its units only")
        return self

    @property
    def responsible(self) -> list[ResponsibleEntry]:
        return [responsible_entry(u) for u in self.units]


class PlanFile(_Strict):
    """A whole plan with the units, leaders and groups it names."""

    plan: PlanHeader = Field(description="The plan's header.")
    units: list[UnitEntry] = Field([], max_length=MAX_ENTRIES, description="The units the plan names (单位).")
    leaders: list[LeaderEntry] = Field([], max_length=MAX_ENTRIES, description="The leaders the plan names (领导).")
    groups: list[GroupEntry] = Field(
        [], max_length=MAX_ENTRIES, description="The plan's groups with their members (工作组)."
    )
    items: list[ItemEntry] = Field(
        [], max_length=MAX_ENTRIES, description="The plan's item tree, top level first (任务树)."
    )

    def walk(self) -> list[tuple[ItemEntry, ItemEntry | None, tuple[Any, ...]]]:
        """Every item with its parent and its location in the file, parents before children."""
        found: list[tuple[ItemEntry, ItemEntry | None, tuple[Any, ...]]] = []
        stack: list[tuple[ItemEntry, ItemEntry | None, tuple[Any, ...]]] = [
            (item, None, ("items", i)) for i, item in reversed(list(enumerate(self.items)))
        ]
        while stack:
            item, parent, loc = stack.pop()
            found.append((item, parent, loc))
            stack.extend((child, item, (*loc, "children", i)) for i, child in reversed(list(enumerate(item.children))))
        return found


def dump_plan_file(plan_file: PlanFile) -> str:
    """The file as YAML in the curated layout: defaults left out, Chinese kept readable."""
    data = plan_file.model_dump(mode="json", exclude_defaults=True)
    data["plan"] = plan_file.plan.model_dump(mode="json")
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=4096)
