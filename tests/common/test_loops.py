"""Our processes run on one kind of event loop: the one uvicorn serves the APIs on (services/common/loops.py)."""

from __future__ import annotations

import asyncio

import uvicorn

from services.common import loops


async def _running_loop_type() -> type[asyncio.AbstractEventLoop]:
    return type(asyncio.get_running_loop())


def _uvicorns_loop_type() -> type[asyncio.AbstractEventLoop]:
    factory = uvicorn.Config(app=None, loop="auto").get_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        return type(loop)
    finally:
        loop.close()


def test_a_batch_runs_on_the_loop_uvicorn_serves_the_apis_on():
    assert loops.run(_running_loop_type()) is _uvicorns_loop_type()


def test_run_answers_what_the_coroutine_returns():
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert loops.run(answer()) == 42
