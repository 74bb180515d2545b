"""Roll-ups (汇总) of a period's reports by unit, section, county, thematic group or item kind.

Pure functions over plain data: the plan's items, responsibilities, units, lead leaders and thematic
groups from tasks_api, the period's reports counted per unit or per item (one GROUP BY in SQL), and the
traffic lights (lights.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from operator import attrgetter

from services.common.contracts.plan_rows import PlanAssignment, PlanItem
from services.common.contracts.tasks import Group, ItemLeader, ItemLink, Member, Unit
from services.reporting_api.oversight.filed_counts import FiledCounts
from services.reporting_api.oversight.schemas.rows import FiledCount, LightEntry, RollupEntry
from services.reporting_api.oversight.tally import GroupRef, Layout, counted, tally_of

BY = ("unit", "section", "county", "group", "kind", "serves")
UNIT_BASED = ("unit", "county")
PLAN_ONLY = ("unit", "section", "kind")  # the groupings read from the plan alone (no units, leaders or groups)
# Which column of the reports the SQL aggregate groups by, for each kind of roll-up.
FILED_KEY = {by: "unit_id" if by in UNIT_BASED else "item_id" for by in BY}

ROLLUP_RULE = """\
Groups: `unit` — each unit responsible for an item of the plan; `county` — only units of kind county;
`section` — the item's ancestor of kind section (items outside sections go under their top-level ancestor:
goals, safeguards, annexes); `group` — thematic groups (专题组): an item belongs to every thematic group one of its
lead leaders (牵头领导) is a member of; `kind` — the item's kind; `serves` — the higher-level task the item serves
(一方案四清单: an item of another plan, by its id, or an external task, by its reference), its own link or else its
nearest linked ancestor's; items that serve nothing fall under one group without id or key (未关联上级任务). A group
is listed when it expects at least one report. For unit groups the group's items are the items the unit is
responsible for.

Counts over the group's expected (item, unit) pairs: `submitted` = the reports that reached the office (submitted,
accepted, returned, and a draft the office reopened for a correction, or its unit withdrew after an earlier version
was reviewed: it was submitted once); `awaiting_review` = submitted and not yet reviewed; `draft` = every draft, a
reopened one too; `on_time` and `late` split `submitted` by the first submission's lateness; `missing` has no report;
`overdue` = missing, or a draft never submitted, after the due date.
`lights` counts the group's items per traffic light, `progress` the same items per `progress_status`. The
`expected`, `missing` and `overdue` counts leave out the items closed (办结) before the period's due date. Only the
reports of items that owe the period count, as in compliance: one an item filed before its cadence changed (or
before its close-out or cancellation) is neither expected nor counted, and covers none of the owed pairs. A report
filed before its responsibility was withdrawn still counts as filed; `missing` never goes below zero."""


def _item_ref(item: PlanItem) -> GroupRef:
    return item.id, item.key, f"{item.number} {item.title}".strip()


def section_of(item: PlanItem, by_id: Mapping[int, PlanItem]) -> PlanItem:
    """The item's nearest ancestor (or itself) of kind section, else its top-level ancestor."""
    node = item
    while node.kind != "section" and node.parent_id is not None and node.parent_id in by_id:
        node = by_id[node.parent_id]
    return node


UNLINKED: GroupRef = (None, None, "未关联上级任务")


def served_by_items(items: Iterable[PlanItem], links: Iterable[ItemLink]) -> dict[int, list[GroupRef]]:
    """Item id → the higher-level task it serves: its own link, else its nearest linked ancestor's."""
    own = {link.item_id: _served_ref(link) for link in links}
    by_id = {item.id: item for item in items}
    found: dict[int, list[GroupRef]] = {}
    for item in by_id.values():
        node: PlanItem | None = item
        while node is not None and node.id not in own:
            node = by_id.get(node.parent_id) if node.parent_id is not None else None
        found[item.id] = [own[node.id] if node is not None else UNLINKED]
    return found


def _served_ref(link: ItemLink) -> GroupRef:
    name = " ".join(part for part in (link.plan_title, link.number, link.title) if part)
    return link.serves_item_id, link.reference, name or (link.reference or "")


def thematic_groups_of_items(
    item_leaders: Iterable[ItemLeader], thematic: Sequence[tuple[Group, Sequence[Member]]]
) -> dict[int, list[GroupRef]]:
    """Item id → the thematic groups one of its lead leaders belongs to, in group id order."""
    groups_of_leader: dict[int, list[GroupRef]] = {}
    for group, members in sorted(thematic, key=lambda g: g[0].id):
        for member in members:
            refs = groups_of_leader.setdefault(member.leader_id, [])
            if (ref := (group.id, group.key, group.name)) not in refs:
                refs.append(ref)
    found: dict[int, list[GroupRef]] = {}
    for leader in item_leaders:
        refs = found.setdefault(leader.item_id, [])
        refs += [ref for ref in groups_of_leader.get(leader.leader_id, []) if ref not in refs]
    return {item_id: sorted(refs) for item_id, refs in found.items()}


def groups_by_key(
    by: str,
    *,
    items: Iterable[PlanItem],
    assignments: Iterable[PlanAssignment],
    units: Iterable[Unit],
    item_leaders: Iterable[ItemLeader],
    thematic: Sequence[tuple[Group, Sequence[Member]]],
    links: Iterable[ItemLink] = (),
) -> dict[int, list[GroupRef]]:
    """Unit id (unit-based roll-ups) or item id (the others) → the groups it falls in."""
    if by in UNIT_BASED:
        counties = {unit.id for unit in units if unit.kind == "county"}
        return {
            a.unit_id: [(a.unit_id, None, a.unit_name)] for a in assignments if by == "unit" or a.unit_id in counties
        }
    if by == "group":
        return thematic_groups_of_items(item_leaders, thematic)
    if by == "serves":
        return served_by_items(items, links)
    by_id = {item.id: item for item in items}
    if by == "section":
        return {item.id: [_item_ref(section_of(item, by_id))] for item in by_id.values()}
    return {item.id: [(None, item.kind, item.kind)] for item in by_id.values()}


def layout_of(by: str, groups: Mapping[int, list[GroupRef]], by_item: Iterable[PlanAssignment]) -> Layout:
    """The groups that expect a report, in the answer's order (ids in id order; item kinds in the order the plan
    first uses them), each with the item of each of its expected pairs; `by_item` in (item_id, id) order."""
    key_of = attrgetter("unit_id" if by in UNIT_BASED else "item_id")
    found: dict[GroupRef, list[int]] = {}
    for assignment in by_item:
        for ref in groups.get(key_of(assignment), ()):
            pairs = found.get(ref)
            if pairs is None:
                pairs = found[ref] = []
            pairs.append(assignment.item_id)
    return [(ref, found[ref]) for ref in sorted(found, key=_group_order)]


def rollup(
    by: str,
    *,
    items: Iterable[PlanItem],
    assignments: Iterable[PlanAssignment],
    links: Iterable[ItemLink] = (),
    filed: Iterable[FiledCount],
    lights: Iterable[LightEntry],
    overdue: bool,
    not_owed: Collection[int] = (),
    units: Iterable[Unit] = (),
    item_leaders: Iterable[ItemLeader] = (),
    thematic: Sequence[tuple[Group, Sequence[Member]]] = (),
) -> list[RollupEntry]:
    """The roll-up rows of one grouping from the plan's lists (a closed period's snapshot; a request reads the
    plan's shape instead: oversight/shape.py): groups_by_key, layout_of and the tally's rows in one."""
    by_item = sorted(assignments, key=attrgetter("item_id", "id"))
    groups = groups_by_key(
        by, items=items, assignments=by_item, units=units, item_leaders=item_leaders, thematic=thematic, links=links
    )
    light_of = {row["item_id"]: (row["light"], row["progress_status"]) for row in lights}
    tally = tally_of(groups, layout_of(by, groups, by_item))
    return counted(tally, FiledCounts.of_rows(filed), light_of, overdue, not_owed).rows()


def _group_order(ref: GroupRef) -> tuple[bool, int]:
    return ref[0] is None, ref[0] or 0
