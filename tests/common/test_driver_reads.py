"""Statements read through the driver pool (services/common/driver_reads.py): side by side, or one at a time."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from services.common.driver_reads import NO_DRIVER_POOL, Reading

READS = [("first", {}), ("second", {})]


class Pool:
    """Records which statements were started, each answering its name as its one row."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def start(self, conn, read):
        self.started.append(read[0])
        done = asyncio.get_running_loop().create_future()
        done.set_result([{"name": read[0]}])
        return SimpleNamespace(rows=lambda: done, settle=lambda: done)


def read(side_by_side: bool) -> list[list[str]]:
    """What the pool had started: when the reading began, then after each statement's rows were taken."""

    async def go():
        pool = Pool()
        under_way = Reading(SimpleNamespace(driver_pool=pool), None, READS, side_by_side=side_by_side)
        seen = [list(pool.started)]
        for index in range(len(READS)):
            assert await under_way.rows(index) == [{"name": READS[index][0]}]
            seen.append(list(pool.started))
        return seen

    return asyncio.run(go())


def test_statements_side_by_side_all_start_at_once():
    assert read(side_by_side=True) == [["first", "second"]] * 3


def test_statements_one_at_a_time_each_start_when_their_rows_are_asked_for():
    assert read(side_by_side=False) == [[], ["first"], ["first", "second"]]


def test_without_a_driver_pool_the_reads_need_the_connection_they_run_on():
    with pytest.raises(LookupError, match="read connection"):
        NO_DRIVER_POOL.start(None, READS[0])
