"""bench/arenas.py reads CPython's allocator figures and tells the objects made after a mark from those before."""

from __future__ import annotations

import tracemalloc

from bench.arenas import Arenas, Survivors

STATS = """# arenas allocated total           =                    3
# arenas reclaimed                 =                    0
# arenas highwater mark            =                    5
# arenas allocated current         =                    3
3 arenas * 1048576 bytes/arena     =            3,145,728

# bytes in allocated blocks        =            2,200,256
# bytes in available blocks        =              288,736
36 unused pools * 16384 bytes      =              589,824
# bytes lost to pool headers       =                7,344
Total                              =            3,145,728
"""


class Marker:
    """A type of this module's own, so that no other code makes one meanwhile."""


def test_the_allocator_figures_are_read_from_its_statistics():
    assert Arenas.parse(STATS) == Arenas(
        current=3, highwater=5, allocated=2_200_256, available=288_736, unused_pools=589_824
    )


def test_this_processs_figures_are_read_without_writing_to_stderr(capfd):
    arenas = Arenas.now()
    assert arenas is not None
    assert arenas.current >= 1 and arenas.highwater >= arenas.current and arenas.allocated > 0
    assert capfd.readouterr().err == ""


def test_no_figures_are_read_while_tracemalloc_wraps_the_allocator():
    tracemalloc.start()
    try:
        assert Arenas.now() is None
    finally:
        tracemalloc.stop()


def test_the_objects_made_after_the_mark_and_alive_are_counted():
    before = [Marker() for _ in range(3)]
    survivors = Survivors()
    after = [Marker() for _ in range(5)]
    assert survivors.since().kinds[Marker.__name__] == len(after)
    assert before


class Holder:
    __slots__ = ("items",)

    def __init__(self, items: list[Marker]) -> None:
        self.items = items


def test_the_objects_made_after_the_mark_are_named_with_what_holds_them():
    survivors = Survivors()
    holder = Holder([Marker() for _ in range(4)])
    assert survivors.since(holders=True).holders["Marker <- list <- Holder"] == len(holder.items)


def test_what_holds_them_is_surveyed_only_when_asked_for():
    survivors = Survivors()
    holder = Holder([Marker()])
    assert not survivors.since().holders
    assert holder.items


def test_the_objects_made_after_the_mark_and_freed_are_not():
    survivors = Survivors()
    made = [Marker() for _ in range(5)]
    del made
    assert survivors.since().kinds[Marker.__name__] == 0
