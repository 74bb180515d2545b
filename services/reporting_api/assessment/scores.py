"""The annual assessment score of a unit, computed from closed-period snapshots only.

Score (0–100) = 100 × Σ weight × metric over four metrics, each a share in [0, 1]:
- on_time: expected reports of the unit in the year's closed periods that reached the office on time;
- first_time_accepted: of the unit's reviewed reports, the share accepted on their first submission;
- green_or_done: of the items the unit leads, the share green or done in the year's latest closed period;
- indicator_attainment: the mean attainment (clamped to [0, 1]) of the indicators of the items it leads.
A metric without data for a unit (e.g. it leads no item) is left out and its weight spread over the others,
so that no unit is punished for what it was never asked to do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from services.reporting_api.oversight.lights import REPORTED


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def unit_metrics(snapshots: list[Mapping[str, Any]]) -> dict[int, dict[str, dict[str, Any]]]:
    """Per unit: each metric's value with the counts behind it."""
    expected: dict[int, int] = defaultdict(int)
    on_time: dict[int, int] = defaultdict(int)
    reviewed: dict[int, int] = defaultdict(int)
    first_time: dict[int, int] = defaultdict(int)
    for snapshot in snapshots:
        for row in snapshot["compliance"]["data"]:
            if not row.get("owed", True):  # filed for a period no longer owed: neither expected nor counted
                continue
            expected[row["unit_id"]] += 1
            on_time[row["unit_id"]] += row["state"] in REPORTED and not row["late"]
        for report in snapshot["reports"]:
            if report["first_outcome"] is not None:
                reviewed[report["unit_id"]] += 1
                first_time[report["unit_id"]] += report["first_outcome"] == "accepted"
    latest = max(snapshots, key=lambda s: s["due_on"]) if snapshots else None
    led: dict[int, list[str]] = defaultdict(list)
    led_items: dict[int, int] = {}
    for row in latest["traffic_lights"]["data"] if latest else ():
        led[row["lead_unit_id"]].append(row["light"])
        led_items[row["item_id"]] = row["lead_unit_id"]
    attainments: dict[int, list[float]] = defaultdict(list)
    for row in latest["indicators"] if latest else ():
        if row["attainment"] is not None and row["item_id"] in led_items:
            attainments[led_items[row["item_id"]]].append(min(1.0, max(0.0, row["attainment"])))
    units = set(expected) | set(led)
    return {unit: {
        "on_time": {"value": _share(on_time[unit], expected[unit]), "on_time": on_time[unit],
                    "expected": expected[unit]},
        "first_time_accepted": {"value": _share(first_time[unit], reviewed[unit]), "accepted_first": first_time[unit],
                                "reviewed": reviewed[unit]},
        "green_or_done": {"value": _share(sum(light in ("green", "done") for light in led[unit]), len(led[unit])),
                          "green_or_done": sum(light in ("green", "done") for light in led[unit]),
                          "lead_items": len(led[unit])},
        "indicator_attainment": {"value": (sum(attainments[unit]) / len(attainments[unit]))
                                 if attainments[unit] else None, "indicators": len(attainments[unit])},
    } for unit in units}


def score(metrics: Mapping[str, Mapping[str, Any]], weights: Mapping[str, float]) -> tuple[float | None, dict]:
    """The 0–100 score and the weights actually applied (re-spread over the metrics that have data)."""
    present = {name: weight for name, weight in weights.items() if metrics[name]["value"] is not None}
    total = sum(present.values())
    if not total:
        return None, {}
    applied = {name: weight / total for name, weight in present.items()}
    return round(100 * sum(applied[name] * metrics[name]["value"] for name in applied), 2), applied


def ranked(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows by score, highest first, with competition ranks (1, 2, 2, 4); unscored rows last, unranked."""
    rows = sorted(rows, key=lambda r: (r["score"] is None, -(r["score"] or 0), r["unit_name"]))
    previous, rank = None, 0
    for position, row in enumerate(rows, start=1):
        if row["score"] is None:
            row["rank"] = None
            continue
        if row["score"] != previous:
            rank, previous = position, row["score"]
        row["rank"] = rank
    return rows
