"""The ledger reads the plan's three lists from tasks_api side by side; the first failure is the ledger's own."""

import asyncio

import pytest

from services.common.problems import NotFound
from services.reporting_api.ledger.service import side_by_side

SECONDS = 5  # what a reader waits for the others before the test calls the lists read one after the other


async def _reader(arrived: list[int], everyone: asyncio.Event, readers: int) -> None:
    arrived.append(1)
    if len(arrived) == readers:
        everyone.set()
    await asyncio.wait_for(everyone.wait(), SECONDS)


async def _readers_meet(readers: int) -> None:
    arrived: list[int] = []
    everyone = asyncio.Event()
    await side_by_side(*(_reader(arrived, everyone, readers) for _ in range(readers)))


def test_the_three_lists_are_read_at_once():
    # Each reader finishes only once all three have started: read in turn, the first would wait in vain.
    asyncio.run(_readers_meet(3))


async def _fails() -> None:
    await asyncio.sleep(0)
    raise NotFound("Plan 9 does not exist.")


async def _waits_forever(cancelled: list[bool]) -> None:
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        cancelled.append(True)
        raise


async def _one_fails(cancelled: list[bool]) -> None:
    await side_by_side(_waits_forever(cancelled), _fails(), _waits_forever(cancelled))


def test_the_first_failure_is_raised_as_itself_and_the_other_readers_are_cancelled():
    cancelled: list[bool] = []
    with pytest.raises(NotFound, match="Plan 9"):
        asyncio.run(asyncio.wait_for(_one_fails(cancelled), SECONDS))
    assert cancelled == [True, True]
