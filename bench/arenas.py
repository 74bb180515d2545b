"""CPython's small-object allocator seen from inside a process: how many arenas it holds, and what pins them.

pymalloc keeps every object of up to 512 bytes in 1 MiB arenas and gives an arena back to the system only once every
object in it is gone. A batch that builds tens of MB of short-lived records (a province's plan) spreads over dozens of
new arenas; any object that outlives the batch and was made during it (a prepared statement, a timer, a cache entry)
keeps its arena, and the arena's emptied pools, from the system. `Arenas` reads the allocator's own figures
(sys._debugmallocstats); `Survivors` lists the objects made since a mark that are still alive, and over how many
1 MiB stretches of memory they lie: a few hundred objects over as many stretches pin as many MB.
"""

from __future__ import annotations

import gc
import os
import re
import sys
import tempfile
import types
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

MIB = 1 << 20
_FIGURE = re.compile(
    r"^(# arenas allocated current|# arenas highwater mark|# bytes in allocated blocks"
    r"|# bytes in available blocks|\d+ unused pools \* \d+ bytes)\s*=\s*([\d,]+)$",
    re.M,
)
_KEYS = {
    "# arenas allocated current": "current",
    "# arenas highwater mark": "highwater",
    "# bytes in allocated blocks": "allocated",
    "# bytes in available blocks": "available",
}


@dataclass(frozen=True, slots=True)
class Arenas:
    """pymalloc's arenas now and at their highest, the bytes of live objects in them, of free blocks in pools in
    use, and of empty pools in arenas still held (what the system does not get back)."""

    current: int
    highwater: int
    allocated: int
    available: int
    unused_pools: int

    @classmethod
    def parse(cls, stats: str) -> Arenas | None:
        """From sys._debugmallocstats()'s text; None when it has none (tracemalloc, which wraps the allocator,
        makes it print nothing)."""
        found = {_KEYS.get(key, "unused_pools"): int(value.replace(",", "")) for key, value in _FIGURE.findall(stats)}
        return cls(**found) if found else None

    @classmethod
    def now(cls) -> Arenas | None:
        """This process's (sys._debugmallocstats writes to the C stderr: read back through a file)."""
        with tempfile.TemporaryFile("w+") as captured:
            sys.stderr.flush()
            saved = os.dup(2)
            os.dup2(captured.fileno(), 2)
            try:
                sys._debugmallocstats()
            finally:
                os.dup2(saved, 2)
                os.close(saved)
            captured.seek(0)
            return cls.parse(captured.read())

    def note(self) -> str:
        return (
            f"{self.current} arenas (highest {self.highwater}), {self.allocated / MIB:.1f} MB live, "
            f"{self.unused_pools / MIB:.1f} MB in empty pools"
        )


def _reachable(*skip: object) -> Iterable[object]:
    """Every object the collector tracks, and each one they refer to (strings, ints and other untracked ones), but
    not what the `skip` containers refer to."""
    tracked, skipped = gc.get_objects(), {id(container) for container in skip}
    yield from tracked
    for container in tracked:
        if id(container) not in skipped:
            yield from gc.get_referents(container)


def _label(thing: object) -> str:
    """A type's name, with the module of a function, the file of a code object and the name of a class."""
    if isinstance(thing, types.FunctionType):
        return f"function {thing.__module__}"
    if isinstance(thing, types.CodeType):
        return f"code {Path(thing.co_filename).name}"
    if isinstance(thing, type):
        return f"class {thing.__name__}"
    return type(thing).__name__


def _first_holders(wanted: set[int], *skip: object) -> dict[int, object]:
    """For each address in `wanted`, the first object the collector tracks that refers to the object there (none
    of `skip`)."""
    tracked = gc.get_objects()
    skipped, found = {id(tracked), *map(id, skip)}, dict[int, object]()
    for container in tracked:
        if id(container) not in skipped:
            for referent in gc.get_referents(container):
                if id(referent) in wanted:
                    found.setdefault(id(referent), container)
    return found


def holder_chains(made: list[object]) -> Counter[str]:
    """How many of `made` are held in each way, two holders deep: "tuple <- list <- PreparedStatementState" (each
    object's first holder, and that holder's). What holds an object made during a batch says which cache, pool or
    timer keeps its arena from the system."""
    holders = _first_holders({id(thing) for thing in made}, made)
    outer = _first_holders({id(holder) for holder in holders.values()}, made, holders)
    chains: Counter[str] = Counter()
    for thing in made:
        holder = holders.get(id(thing))
        chain = [_label(thing), _label(holder) if holder is not None else "-"]
        if holder is not None:
            chain.append(_label(outer[id(holder)]) if id(holder) in outer else "-")
        chains[" <- ".join(chain)] += 1
    return chains


@dataclass(frozen=True, slots=True)
class Survey:
    """The small objects made since a mark and alive now: how many of each type, over how many 1 MiB stretches, and
    (when asked for) how they are held (holder_chains)."""

    kinds: Counter[str]
    stretches: int
    holders: Counter[str] = field(default_factory=Counter)

    def note(self, top: int = 12) -> str:
        kinds = ", ".join(f"{name} {count}" for name, count in self.kinds.most_common(top))
        return f"{sum(self.kinds.values())} objects over {self.stretches} MiB stretches: {kinds}"

    def held(self, top: int = 25) -> str:
        """The commonest ways they are held, a line each."""
        return "\n".join(f"{count:8d}  {chain}" for chain, count in self.holders.most_common(top))


class Survivors:
    """The addresses of the objects alive at a mark, to tell the objects made after it. They are kept in one array
    (one allocation outside pymalloc's arenas) and made one at a time: a set of them would put as many ints in the
    arenas the mark is meant to watch, and freed ones would leave addresses for later objects to take."""

    def __init__(self) -> None:
        self._before = array("Q", map(id, _reachable()))  # with repeats: an object is reached once per referrer

    @property
    def held_mb(self) -> float:
        """What the mark itself adds to the process's resident set."""
        return len(self._before) * self._before.itemsize / MIB

    def since(self, *, holders: bool = False) -> Survey:
        """What was made after the mark and is still alive, of pymalloc's sizes (up to 512 bytes), and with
        `holders` what holds each (a second and third pass over every tracked object). An object freed after the
        mark and another made at its address counts as seen: an undercount, never an overcount."""
        before = set(self._before)  # made now, at the end: its ints are not surveyed
        kinds: Counter[str] = Counter()
        stretches: set[int] = set()
        made: list[object] = []
        for found in _reachable(before, kinds, stretches, made):
            address = id(found)
            if address in before or sys.getsizeof(found) > 512:
                continue
            before.add(address)  # each object once
            kinds[type(found).__name__] += 1
            stretches.add(address // MIB)
            if holders:
                made.append(found)
        return Survey(kinds, len(stretches), holder_chains(made) if holders else Counter())
