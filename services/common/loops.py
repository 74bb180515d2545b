"""The event loop our processes run on: the one uvicorn chooses for the APIs (uvloop where it is installed, asyncio's
own elsewhere), so that a worker's batches (deliveries, dispatches, exports) run on the loop the APIs' requests do."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from uvicorn.loops.auto import auto_loop_factory

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """A new loop of the kind uvicorn serves the APIs on."""
    return auto_loop_factory(use_subprocess=False)


def run(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on that loop."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
