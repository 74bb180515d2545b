"""The annual assessment of a unit, computed from closed-period snapshots only (pure functions).

Score (0–100) = Σ over four parts of 100 × weight × share, each share in [0, 1]:
- on_time: of the unit's reports that were due (reached the office, or missing past the due date) in the year's
  closed periods, the share that reached the office on time; a report not yet due counts neither way;
- first_time_accepted: of the unit's reviewed reports, the share accepted on their first submission;
- green_or_done: of the items the unit is responsible for, the share green or done in the year's latest closed
  period; an item it leads counts 1, one it co-operates on (配合) counts CO_OPERATING_WEIGHT;
- indicator_attainment: the mean attainment (clamped to [0, 1]) of the indicators of those items, weighted alike.
Co-operating units count in the last two parts because most counties (县市区) only co-operate: counting lead items
alone left them with the report parts only, and a county whose reports were all due late tied at 0 with the rest
however well its items went.
A part without data for a unit is left out and its weight spread over the others, so that no unit is punished for
what it was never asked to do. Each part's points are rounded half up to two places; the score is their sum.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from typing import Any

from services.common.contracts.tasks import Unit
from services.reporting_api.assessment.schemas import AdjustmentPublic, AssessmentList, AssessmentRow, Metric, ScorePart
from services.reporting_api.oversight.lights import REPORTED
from services.reporting_api.periods.models import PLACEHOLDER_KINDS, AssessmentGroup

CO_OPERATING_WEIGHT = Decimal("0.5")
ZERO, ONE, HUNDRED = Decimal(0), Decimal(1), Decimal(100)
POINTS, SHARE = Decimal("0.01"), Decimal("0.0001")

Snapshot = Mapping[str, Any]  # a closed period's snapshot, as stored (JSON)


def fixed(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


@dataclass
class Tally:
    """What counted for a unit in one part, and what could have: both weighted."""

    achieved: Decimal = ZERO
    out_of: Decimal = ZERO

    def count(self, achieved: bool | Decimal, weight: Decimal = ONE) -> None:
        self.achieved += weight * Decimal(achieved)
        self.out_of += weight

    @property
    def share(self) -> Decimal | None:
        return self.achieved / self.out_of if self.out_of else None


@dataclass
class UnitTallies:
    parts: dict[Metric, Tally] = field(default_factory=lambda: {metric: Tally() for metric in Metric})


def _duties(snapshots: Sequence[Snapshot], latest: Snapshot) -> dict[int, dict[int, Decimal]]:
    """Item → unit → weight (lead 1, co-operating CO_OPERATING_WEIGHT).

    From the responsibilities a snapshot keeps (close_period records them), else, for a period closed before they
    were kept, from its compliance rows; each light's lead unit leads."""
    duties: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for snapshot in snapshots:
        for row in snapshot.get("responsibilities") or snapshot["compliance"]["data"]:
            weight = ONE if row["role"] == "lead" else CO_OPERATING_WEIGHT
            duties[row["item_id"]][row["unit_id"]] = max(weight, duties[row["item_id"]].get(row["unit_id"], ZERO))
    for light in latest["traffic_lights"]["data"]:
        duties[light["item_id"]][light["lead_unit_id"]] = ONE
    return duties


def _count_reports(found: dict[int, UnitTallies], snapshot: Snapshot) -> None:
    """on_time and first_time_accepted: each unit's own reports of the period, lead or co-operating alike."""
    # A draft that was reviewed once reached the office (reopened for a correction, or withdrawn after a review): the
    # snapshot's reports say which, its compliance row only that it is a draft.
    reviewed = {report["report_id"] for report in snapshot["reports"] if report["first_outcome"] is not None}
    for row in snapshot["compliance"]["data"]:
        if not row.get("owed", True):  # filed for a period no longer owed: neither expected nor counted
            continue
        reached = row["state"] in REPORTED or row["report_id"] in reviewed
        if reached or row["overdue"]:
            found[row["unit_id"]].parts[Metric.ON_TIME].count(reached and not row["late"])
    for report in snapshot["reports"]:
        if report["first_outcome"] is not None:
            found[report["unit_id"]].parts[Metric.FIRST_TIME_ACCEPTED].count(report["first_outcome"] == "accepted")


def _count_items(found: dict[int, UnitTallies], snapshots: Sequence[Snapshot]) -> None:
    """green_or_done and indicator_attainment: the latest period's lights and indicators of every item, for each
    unit responsible for it, weighted by its role."""
    latest = max(snapshots, key=lambda s: s["due_on"])
    duties = _duties(snapshots, latest)
    for units in duties.values():  # a responsible unit is assessed even when nothing counted for it yet
        for unit_id in units:
            found.setdefault(unit_id, UnitTallies())
    for light in latest["traffic_lights"]["data"]:
        for unit_id, weight in duties[light["item_id"]].items():
            found[unit_id].parts[Metric.GREEN_OR_DONE].count(light["light"] in ("green", "done"), weight)
    for row in latest["indicators"]:
        if row["attainment"] is not None:
            attained = min(ONE, max(ZERO, Decimal(str(row["attainment"]))))
            for unit_id, weight in duties[row["item_id"]].items():
                found[unit_id].parts[Metric.INDICATOR_ATTAINMENT].count(attained, weight)


def unit_tallies(snapshots: Sequence[Snapshot]) -> dict[int, UnitTallies]:
    """Every unit responsible for something in the year's snapshots, or that reported, with its four tallies."""
    found: dict[int, UnitTallies] = defaultdict(UnitTallies)
    for snapshot in snapshots:
        _count_reports(found, snapshot)
    if snapshots:
        _count_items(found, snapshots)
    return dict(found)


def score(tallies: UnitTallies, weights: Mapping[str, float]) -> tuple[list[ScorePart], Decimal | None]:
    """The parts with their points, and the score (their sum); None when no weighted part has data."""
    plan_weights = {metric: Decimal(str(weights[metric.value])) for metric in Metric}
    present = {metric: plan_weights[metric] for metric, tally in tallies.parts.items() if tally.share is not None}
    spread = sum(present.values(), ZERO)
    parts = []
    for metric, tally in tallies.parts.items():
        share = tally.share
        applied = present[metric] / spread if metric in present and spread else ZERO
        parts.append(
            ScorePart(
                metric=metric,
                share=None if share is None else fixed(share, SHARE),
                achieved=fixed(tally.achieved, SHARE),
                out_of=fixed(tally.out_of, SHARE),
                weight=fixed(plan_weights[metric], SHARE),
                applied_weight=fixed(applied, SHARE),
                points=fixed(HUNDRED * applied * (share or ZERO), POINTS),
            )
        )
    return parts, sum((part.points for part in parts), ZERO) if spread else None


def competition_ranks(rows: Iterable[AssessmentRow]) -> dict[int, tuple[int, list[AssessmentRow]]]:
    """Unit id → (rank, the other rows at the same total) over the rows with a total: 1, 2, 2, 4."""
    scored = sorted((row for row in rows if row.total is not None), key=lambda row: -(row.total or ZERO))
    ranks: dict[int, tuple[int, list[AssessmentRow]]] = {}
    position = 1
    for _, same in groupby(scored, key=lambda row: row.total):
        tied = list(same)
        for row in tied:
            ranks[row.unit_id] = (position, [other for other in tied if other is not row])
        position += len(tied)
    return ranks


def rank_list(rows: list[AssessmentRow], *, ranked: bool) -> list[AssessmentRow]:
    """The rows of one list with their ranks and notes, best first; unranked and unscored rows last, by name."""
    if not ranked:
        for row in rows:
            row.note = "listed apart, not ranked (单列不排名)"
        return sorted(rows, key=lambda row: (row.unit_name, row.unit_id))
    in_list = competition_ranks(rows)
    in_kind = {
        unit: rank
        for kind in {row.unit_kind for row in rows}
        for unit, (rank, _) in competition_ranks(row for row in rows if row.unit_kind == kind).items()
    }
    for row in rows:
        if row.unit_id not in in_list:
            row.note = "not ranked: no part of the score has data (无考核数据)"
            continue
        row.rank, tied = in_list[row.unit_id]
        row.rank_in_kind = in_kind[row.unit_id]
        row.tied_with = [other.unit_name for other in sorted(tied, key=lambda other: other.unit_name)]
        if tied:
            row.note = f"tied with {', '.join(row.tied_with)} at {row.total:.2f} (并列第{row.rank}名)"
    return sorted(rows, key=lambda row: (row.rank is None, row.rank or 0, row.unit_name, row.unit_id))


def assessed_group(unit: Unit | None, groups: Sequence[AssessmentGroup]) -> AssessmentGroup | None:
    """The list a unit is assessed in; None for what is not a unit (unknown to tasks_api, or a collective
    placeholder such as 市级有关部门) and for a kind the plan leaves out."""
    if unit is None or unit.kind in PLACEHOLDER_KINDS:
        return None
    return next((group for group in groups if unit.kind in group.kinds), None)


def assessment_row(
    unit: Unit, tallies: UnitTallies, adjustments: list[AdjustmentPublic], weights: Mapping[str, float]
) -> AssessmentRow:
    parts, base = score(tallies, weights)
    extra = sum((adjustment.points for adjustment in adjustments), ZERO)
    return AssessmentRow(
        unit_id=unit.id,
        unit_name=unit.name,
        unit_kind=unit.kind,
        parts=parts,
        score=base,
        adjustments=adjustments,
        adjustment_points=extra,
        total=None if base is None else base + extra,
        rank=None,
        rank_in_kind=None,
        tied_with=[],
        note=None,
    )


def assessment_lists(
    tallies: Mapping[int, UnitTallies],
    units: Mapping[int, Unit],
    adjustments: Iterable[AdjustmentPublic],
    groups: Sequence[AssessmentGroup],
    weights: Mapping[str, float],
) -> list[AssessmentList]:
    """Every assessed unit (responsible for something, or adjusted) in its list, the lists ranked."""
    adjusted: dict[int, list[AdjustmentPublic]] = defaultdict(list)
    for adjustment in adjustments:
        adjusted[adjustment.unit_id].append(adjustment)
    rows: dict[str, list[AssessmentRow]] = defaultdict(list)
    # A placeholder responsibility (市级有关部门 awaiting assignment) may carry no unit id at all.
    for unit_id in sorted(unit_id for unit_id in set(tallies) | set(adjusted) if unit_id is not None):
        group = assessed_group(units.get(unit_id), groups)
        if group is not None:
            rows[group.key].append(
                assessment_row(units[unit_id], tallies.get(unit_id, UnitTallies()), adjusted[unit_id], weights)
            )
    return [
        AssessmentList(
            key=group.key,
            title=group.title,
            kinds=group.kinds,
            ranked=group.ranked,
            rows=rank_list(rows[group.key], ranked=group.ranked),
        )
        for group in groups
    ]
