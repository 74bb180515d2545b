"""Every peer call of one request shares one budget, counted from the request's start (services/common/peer_budget.py,
set by the observe layer)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from services.common.observe import ObserveMiddleware
from services.common.peer_budget import REQUEST_STARTED, request_deadline

BUDGET = 5.0


async def app_that_asks_twice(scope, receive, send) -> None:
    """A request that computes its peer deadline, waits, and computes it again; both go back in the body."""
    first = request_deadline(BUDGET)
    await asyncio.sleep(0.02)
    second = request_deadline(BUDGET)
    body = f"{first} {second}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


async def deadlines_of_one_request() -> tuple[float, float, float, float]:
    app = ObserveMiddleware(app_that_asks_twice, service="test", access_lines=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        before = time.monotonic()
        first, second = map(float, (await client.get("/anything")).text.split())
        after = time.monotonic()
    return before, first, second, after


def test_the_calls_of_one_request_share_the_deadline_its_start_set():
    before, first, second, after = asyncio.run(deadlines_of_one_request())
    assert first == second
    assert before + BUDGET <= first <= after + BUDGET


def test_outside_a_request_a_call_has_a_budget_of_its_own_from_now():
    async def after_a_request() -> tuple[float | None, float, float]:
        await deadlines_of_one_request()  # served in this very task: its start must not stay behind
        return REQUEST_STARTED.get(), time.monotonic(), request_deadline(BUDGET)

    left, now, deadline = asyncio.run(after_a_request())
    assert left is None
    assert deadline == pytest.approx(now + BUDGET, abs=0.5)
