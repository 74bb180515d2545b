"""The memory figures: each service's resident set (RSS, from /proc) at the moments issue 15 names.

Idle (started, nothing asked yet), at its peak under list load, after roll-ups of every plan, after the ledger
exports, a minute after those (the growth over idle: what the caches and the allocator keep), and the peak over
the whole run (VmHWM, reset after the idle figure and by the ledger figure: the highest of the marks taken after
each step, PeakTrail). Each figure names the largest service and notes all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import httpx

from bench.figures import Figure, at_most
from bench.processes import Stack
from bench.reads import PERIOD

IDLE_MB, ANY_POINT_MB, SETTLED_GROWTH_MB = 150, 250, 20


@dataclass(frozen=True, slots=True)
class Snapshot:
    """MB per service name, at one moment."""

    mb: dict[str, float]

    @classmethod
    def now(cls, stack: Stack, field: str = "VmRSS") -> Snapshot:
        return cls({p.name: p.memory_mb(field) for p in stack.services})

    @property
    def largest(self) -> float:
        return max(self.mb.values())

    def note(self) -> str:
        return ", ".join(f"{name} {mb:.0f}" for name, mb in self.mb.items())


def idle(stack: Stack) -> tuple[Figure, Snapshot]:
    """The idle figure, and the snapshot the minute-later figure compares with; then every peak is reset."""
    snapshot = Snapshot.now(stack)
    for process in stack.services:
        process.reset_peak()
    return at_most("RSS idle (largest service)", snapshot.largest, "MB", IDLE_MB, note=snapshot.note()), snapshot


def under_list_load(stack: Stack) -> Figure:
    peaks = Snapshot.now(stack, "VmHWM")
    return at_most("RSS under list load (largest)", peaks.largest, "MB", ANY_POINT_MB, note=f"peaks: {peaks.note()}")


def now(stack: Stack, name: str) -> Figure:
    snapshot = Snapshot.now(stack)
    return at_most(name, snapshot.largest, "MB", ANY_POINT_MB, note=snapshot.note())


def rollups_of_every_plan(stack: Stack, headers: dict[str, str], plan_ids: list[int]) -> Figure:
    """Every plan's roll-up by unit once (each a new answer for the memo, each plan's rows in the peer cache)."""
    with httpx.Client(base_url=stack.reporting.url, headers=headers, timeout=600) as client:
        for plan_id in plan_ids:
            client.get(f"/v1/plans/{plan_id}/rollups", params={"period": PERIOD, "by": "unit"}).raise_for_status()
    figure = now(stack, "RSS after roll-ups of every plan (largest)")
    return replace(figure, note=f"{len(plan_ids)} plans; {figure.note}")


def settled(stack: Stack, idle_snapshot: Snapshot, seconds: float) -> Figure:
    """`seconds` after the roll-ups and the ledger exports, with nothing asked meanwhile: the growth over idle."""
    time.sleep(seconds)
    later = Snapshot.now(stack)
    growth = {name: later.mb[name] - idle_snapshot.mb[name] for name in later.mb}
    return at_most(
        "RSS a minute later: growth over idle (largest)",
        max(growth.values()),
        "MB",
        SETTLED_GROWTH_MB,
        note=f"after {seconds:g} s: {later.note()} MB",
    )


@dataclass(slots=True)
class PeakTrail:
    """Each service's high-water mark (VmHWM) after each step of a run: which step its peak over the run was
    reached in. The ledger figure resets the mark before each export (its note gives each export's own peak), so a
    later mark can be lower than an earlier one: the peak over the run is the highest of them all."""

    marks: list[tuple[str, Snapshot]] = field(default_factory=list)

    def after(self, stack: Stack, step: str) -> None:
        self.marks.append((step, Snapshot.now(stack, "VmHWM")))

    def highest(self, last: Snapshot) -> Snapshot:
        """Each service's highest mark, `last` included."""
        found = [last, *(snapshot for _, snapshot in self.marks)]
        return Snapshot({name: max(snapshot.mb[name] for snapshot in found) for name in last.mb})

    def of(self, service: str) -> str:
        return ", ".join(f"{step} {snapshot.mb[service]:.0f}" for step, snapshot in self.marks)


def peak(stack: Stack, trail: PeakTrail) -> Figure:
    peaks = trail.highest(Snapshot.now(stack, "VmHWM"))
    top = max(peaks.mb, key=peaks.mb.__getitem__)
    note = f"peaks: {peaks.note()}; {top}'s mark after each step: {trail.of(top)}"
    return at_most("RSS peak over the run (largest)", peaks.largest, "MB", ANY_POINT_MB, note=note)
