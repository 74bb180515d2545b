"""Indicator progress (指标进度): latest value, attainment, straight-line path and projection to target.

Pure functions over plain data: indicators from tasks_api, measurement points from reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from services.common.contracts.plan_rows import PlanIndicator
from services.reporting_api.oversight.schemas.rows import IndicatorEntry, MeasurementPoint

PROGRESS_RULE = """\
**Values** come from the measurements of submitted report versions that were not returned, dated on or before
`as_of`; the latest value is the one with the latest `as_of`, then the highest id.

**Attainment** = (latest − baseline) / (target − baseline); without a baseline, latest / target. For `<=`
indicators (lower is better) the baseline formula already measures the way down from the baseline; without a
baseline attainment is target / latest, so reaching the target gives 1 and beating it more than 1. A target
equal to its baseline (or a target of 0 without one) gives 1 when met and 0 otherwise. `=` indicators are read
as "reach the target" from where they start (the baseline, or 0).

**Straight-line path**: the expected share at date d is (d − plan start) / (target_date − plan start), clamped
to [0, 1], where d is the date of the latest value. The indicator is **behind** when expected share − attainment
exceeds the plan's `indicator_margin`.

**Projection**: a least-squares line through the (as_of, value) points, evaluated at `target_date`; it needs
values at two distinct dates at least, else it is null. `projection_misses_target` is true when the projected
value does not satisfy the indicator's comparison."""

_EPSILON = 1e-9


def direction(indicator: PlanIndicator) -> str:
    """ ">=" or "<=": which way the indicator must move; "=" moves from its start (baseline, or 0) to the target."""
    if indicator.comparison in (">=", "<="):
        return indicator.comparison
    start = indicator.baseline if indicator.baseline is not None else 0.0
    return ">=" if indicator.target >= start else "<="


def meets(indicator: PlanIndicator, value: float) -> bool:
    if direction(indicator) == ">=":
        return value >= indicator.target - _EPSILON
    return value <= indicator.target + _EPSILON


def attainment(indicator: PlanIndicator, value: float) -> float:
    """How far along the way to the target a value is: 0 at the start, 1 at the target."""
    if indicator.baseline is not None:
        span = indicator.target - indicator.baseline
        return (value - indicator.baseline) / span if span else float(meets(indicator, value))
    if direction(indicator) == ">=":
        return value / indicator.target if indicator.target else float(meets(indicator, value))
    return indicator.target / value if value > 0 else float(meets(indicator, value))


def expected_share(plan_start: date, target_date: date, on: date) -> float:
    """The share of the way a straight line from the plan's start to the target date has covered on a date."""
    span = (target_date - plan_start).days
    if span <= 0:
        return 1.0
    return min(1.0, max(0.0, (on - plan_start).days / span))


def projection(points: Sequence[MeasurementPoint], target_date: date) -> float | None:
    """The least-squares line through the points, at the target date; None without two distinct dates."""
    xs: list[int] = [p["as_of"].toordinal() for p in points]
    if len(set(xs)) < 2:
        return None
    ys = [float(p["value"]) for p in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum((x - mean_x) ** 2 for x in xs)
    return mean_y + slope * (target_date.toordinal() - mean_x)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def indicator_progress(
    indicator: PlanIndicator, points: Iterable[MeasurementPoint], *, plan_start: date, margin: float
) -> IndicatorEntry:
    """The progress of one indicator from its measurement points ({id, as_of, value})."""
    ordered = sorted(points, key=lambda p: (p["as_of"], p["id"]))
    latest = ordered[-1] if ordered else None
    reached = attainment(indicator, float(latest["value"])) if latest else None
    share = expected_share(plan_start, indicator.target_date, latest["as_of"]) if latest else None
    projected = projection(ordered, indicator.target_date)
    return {
        "indicator_id": indicator.id,
        "item_id": indicator.item_id,
        "key": indicator.key,
        "name": indicator.name,
        "measure": indicator.measure,
        "comparison": indicator.comparison,
        "baseline": indicator.baseline,
        "target": indicator.target,
        "target_date": indicator.target_date.isoformat(),
        "points": len(ordered),
        "latest_value": float(latest["value"]) if latest else None,
        "latest_as_of": latest["as_of"].isoformat() if latest else None,
        "attainment": _rounded(reached),
        "expected_share": _rounded(share),
        "behind": reached is not None and share is not None and _behind(share, reached, margin),
        "projected_value": _rounded(projected),
        "projection_misses_target": None if projected is None else not meets(indicator, projected),
    }


def _behind(share: float, reached: float, margin: float) -> bool:
    return share - reached > margin + _EPSILON


def behind_keys(
    indicators: Iterable[PlanIndicator], latest: Mapping[int, tuple[date, float]], *, plan_start: date, margin: float
) -> dict[int, list[str]]:
    """Item id → the keys of its indicators that are behind (as indicator_progress says), in indicator id order:
    all the traffic lights read of indicator progress. `latest` maps an indicator to the date and value of its
    latest point (repository.latest_points); nothing else of a progress row is built. A roll-up judges a plan's
    thousand indicators: expected_share and _behind are written out here, in days since the plan's start."""
    found: dict[int, list[str]] = {}
    start, limit, point_of = plan_start.toordinal(), margin + _EPSILON, latest.get
    for indicator in indicators:  # the plan's structure lists them in id order
        point = point_of(indicator.id)
        if point is None:
            continue
        span = indicator.target_date.toordinal() - start
        share = min(1.0, max(0.0, (point[0].toordinal() - start) / span)) if span > 0 else 1.0
        if share - attainment(indicator, point[1]) > limit:
            found.setdefault(indicator.item_id, []).append(indicator.key)
    return found


def behind_of_progress(progress: Iterable[IndicatorEntry]) -> dict[int, list[str]]:
    """behind_keys from progress rows already built (a closed period's snapshot builds them all)."""
    found: dict[int, list[str]] = {}
    for row in progress:
        if row["behind"]:
            found.setdefault(row["item_id"], []).append(row["key"])
    return found


def plan_indicator_progress(
    indicators: Iterable[PlanIndicator],
    points: Mapping[int, list[MeasurementPoint]],
    *,
    plan_start: date,
    margin: float,
) -> list[IndicatorEntry]:
    """The progress of every indicator, in indicator id order; `points` maps indicator ids to their points."""
    return [
        indicator_progress(i, points.get(i.id, ()), plan_start=plan_start, margin=margin)
        for i in sorted(indicators, key=lambda i: i.id)
    ]
