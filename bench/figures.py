"""Benchmark figures and the one table they print: figure, value, baseline, ratio, target, met or not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Every figure issues 6 and 15 ask for; the smoke test checks the table names each one.
LIST_NAMES = (
    "items p1, unit filter",
    "items deep page, unit filter",
    "items p1",
    "items deep page",
    "reports by plan+period",
    "reports deep page",
)
OVERSIGHT_NAMES = (
    "roll-up by unit, cold: first request",
    "roll-up by unit, recomputed: p95",
    "roll-up by unit, cached: p95",
    "compliance, cold: first request",
    "compliance, recomputed: p95",
    "compliance, cached next page: p95",
)
DISPATCH_NAMES = (
    "dispatch, a day: time vs raw COPY",
    "dispatch, a day: reading peers vs writing",
    "dispatch, a day, peers revalidated: time vs raw COPY",
    "dispatch, a day, peers revalidated: reading peers vs writing",
    "dispatch, catch-up: time vs raw COPY",
    "dispatch, catch-up: reading peers vs writing",
)
DELIVERY_NAMES = ("delivery, 2 dispatchers: rate", "delivery: duplicates + lost")
LEDGER_NAMES = ("ledger xlsx 100,000 rows: time vs xlsxwriter", "ledger csv: time vs raw COPY TO")
SEARCH_NAMES = ("search items and indicators: p95", "search reports: p95")  # issue 17 §5
MEMORY_NAMES = (
    "RSS idle (largest service)",
    "RSS under list load (largest)",
    "RSS after roll-ups of every plan (largest)",
    "RSS after ledger exports (largest)",
    "RSS a minute later: growth over idle (largest)",
    "RSS peak over the run (largest)",
)
FLATNESS_NAMES = (
    "flatness items p1 vs deep page",
    "flatness reports p1 vs deep page",
    "flatness items 1× vs 10× data",
    "flatness reports 1× vs 10× data",
)
FIGURE_NAMES = (
    "load: generate and import the data set",
    *(f"{name}: {kind}" for name in LIST_NAMES for kind in ("req/s", "p99")),
    *OVERSIGHT_NAMES,
    *DISPATCH_NAMES,
    *DELIVERY_NAMES,
    *LEDGER_NAMES,
    *SEARCH_NAMES,
    *MEMORY_NAMES,
    *FLATNESS_NAMES,
)


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    value: float
    unit: str
    target: str
    met: bool
    baseline: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


def at_least(
    name: str, value: float, unit: str, limit: float, *, baseline: float | None = None, note: str = ""
) -> Figure:
    """A figure whose value must reach `limit`, or `limit` × baseline when a baseline is given."""
    wanted = limit * baseline if baseline else limit
    target = f"≥ {limit:g}× baseline" if baseline else f"≥ {limit:g} {unit}"
    return Figure(name, value, unit, target, value >= wanted, baseline, note)


def at_most(
    name: str, value: float, unit: str, limit: float, *, baseline: float | None = None, note: str = ""
) -> Figure:
    """A figure whose value must stay under `limit`, or `limit` × baseline when a baseline is given."""
    wanted = limit * baseline if baseline else limit
    target = f"≤ {limit:g}× baseline" if baseline else f"≤ {limit:g} {unit}"
    return Figure(name, value, unit, target, value <= wanted, baseline, note)


def capped(name: str, value: float, unit: str, limit: float, *, baseline: float, note: str = "") -> Figure:
    """A figure with an absolute limit (`limit` in `unit`) whose baseline is shown for comparison only."""
    return Figure(name, value, unit, f"≤ {limit:g} {unit}", value <= limit, baseline, note)


def within(name: str, value: float, unit: str, share: float, *, baseline: float, note: str = "") -> Figure:
    """A figure that must stay within `share` of its baseline, either way (page 1,000 against page 1)."""
    return Figure(
        name,
        value,
        unit,
        f"within ±{share:.0%} of baseline",
        baseline > 0 and abs(value / baseline - 1) <= share,
        baseline,
        note,
    )


def missing(name: str, why: str) -> Figure:
    """A figure that could not be measured in this run, with the reason."""
    return Figure(name, float("nan"), "", "", False, None, why)


def _number(value: float | None) -> str:
    if value is None or value != value:  # NaN: not measured
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def table(figures: list[Figure], describe: Callable[[Figure], str] | None = None) -> str:
    """The figures as one Markdown table (it reads in a terminal and in the README alike)."""
    header = ("figure", "value", "baseline", "ratio", "target", "met", "note")
    rows = [
        (
            f.name,
            f"{_number(f.value)} {f.unit}".strip(),
            _number(f.baseline),
            f"{f.ratio:.2f}" if f.ratio is not None else "–",
            f.target,
            "yes" if f.met else "NO",
            describe(f) if describe else f.note,
        )
        for f in figures
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])
