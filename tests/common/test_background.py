"""A background loop stops between rounds, lets a round in progress finish, and cuts one that outlasts its grace."""

from __future__ import annotations

import asyncio

from services.common.background import BackgroundLoop


def _stop_during_the_first_round(round_seconds: float, grace: float, pause: float = 0.0) -> list[str]:
    events: list[str] = []

    async def one_round() -> float:
        events.append("started")
        await asyncio.sleep(round_seconds)
        events.append("finished")
        return pause

    async def main() -> None:
        loop = BackgroundLoop("test-loop", one_round, grace=grace)
        await asyncio.sleep(0.05)  # the first round is under way
        await loop.stop()
        events.append("stopped" if loop.done() else "still running")

    asyncio.run(main())
    return events


def test_stopping_lets_the_round_in_progress_finish_and_starts_no_other():
    assert _stop_during_the_first_round(round_seconds=0.3, grace=30) == ["started", "finished", "stopped"]


def test_a_round_that_outlasts_the_grace_is_cancelled():
    assert _stop_during_the_first_round(round_seconds=60, grace=0.1) == ["started", "stopped"]


def test_stopping_ends_the_pause_between_rounds_at_once():
    async def main() -> None:
        rounds = 0

        async def one_round() -> float:
            nonlocal rounds
            rounds += 1
            return 3600.0

        loop = BackgroundLoop("test-loop", one_round, grace=3600)
        await asyncio.sleep(0.05)
        await asyncio.wait_for(loop.stop(), timeout=5)  # not an hour
        assert (rounds, loop.done()) == (1, True)

    asyncio.run(main())


def test_a_round_asking_for_no_pause_is_followed_by_the_next_at_once():
    async def main() -> None:
        rounds = 0

        async def one_round() -> float:
            nonlocal rounds
            rounds += 1
            return 0.0 if rounds < 3 else 3600.0

        loop = BackgroundLoop("test-loop", one_round, grace=1)
        await asyncio.sleep(0.05)
        await loop.stop()
        assert rounds == 3

    asyncio.run(main())
