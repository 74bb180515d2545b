"""A batch's freed memory is handed back to the system once, a moment after the batch (services/common/memory.py),
however many batches end meanwhile."""

import asyncio
import copy

from services.common.memory import LIBRARY_TRIM, MemoryTrim


def recording_trim() -> tuple[MemoryTrim, list[int]]:
    """A MemoryTrim whose trim records the pad it is called with instead of trimming."""
    calls: list[int] = []

    def trim(pad: int) -> int:
        calls.append(pad)
        return 1

    return MemoryTrim(delay=0.01, trim=trim), calls


def after_batches(trim: MemoryTrim, batches: int) -> None:
    """`batches` batches ask for a trim at once, then the loop runs past the delay."""

    async def run() -> None:
        for _ in range(batches):
            trim.soon()
        await asyncio.sleep(trim.delay * 5)

    asyncio.run(run())


def test_batches_ending_together_are_followed_by_one_trim_of_everything_free():
    trim, calls = recording_trim()
    after_batches(trim, 3)
    assert calls == [0]


def test_a_batch_after_the_trim_asks_for_another():
    trim, calls = recording_trim()
    after_batches(trim, 1)
    after_batches(trim, 1)
    assert calls == [0, 0]


def test_the_c_librarys_trim_runs_where_there_is_one():
    trim = MemoryTrim(delay=0.0)
    after_batches(trim, 1)
    assert trim.trims == (0 if LIBRARY_TRIM is None else 1)  # musl and macOS have no malloc_trim


def test_a_copy_trims_as_the_original_does():
    trim = copy.deepcopy(MemoryTrim(delay=0.0))  # as an app's state is copied
    after_batches(trim, 1)
    assert trim.trims == (0 if LIBRARY_TRIM is None else 1)
