"""No call to a peer while a database connection is held (services/common/peer_guard.py): the database seam marks the
connections it lends out, and the peer client refuses to call (tests) or logs the call (production) meanwhile."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from services.common.db import Database, make_engine
from services.common.http import ServiceClient
from services.common.peer_guard import PeerCallInTransaction, strict_in
from services.reporting_api.settings import ReportingSettings

Scenario = Callable[[Database, ServiceClient], Awaitable[Any]]


def _run(scenario: Scenario, *, strict: bool = True) -> tuple[Any, int]:
    """Run `scenario` with an in-memory database and a peer that answers every call; returns its result and how many
    calls reached the peer."""
    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, json={"ok": True})

    async def run() -> Any:
        database = Database(make_engine("sqlite+aiosqlite://"))
        client = ServiceClient(
            "http://peer",
            lambda: "t",
            peer="tasks_api",
            transport=httpx.MockTransport(answer),
            strict_transactions=strict,
        )
        try:
            return await scenario(database, client)
        finally:
            await client.aclose()
            await database.dispose()

    result = asyncio.run(run())
    return result, calls


async def _get_inside_transaction(database: Database, client: ServiceClient) -> Any:
    async with database.transaction() as conn:
        await conn.execute(text("SELECT 1"))
        return await client.get("/v1/plans/1", cache=False)


async def _post_inside_read(database: Database, client: ServiceClient) -> Any:
    async with database.read() as conn:
        await conn.execute(text("SELECT 1"))
        return await client.post("/v1/events", {"type": "x"})


async def _get_after_transaction(database: Database, client: ServiceClient) -> Any:
    async with database.transaction() as conn:
        await conn.execute(text("SELECT 1"))
    async with database.read() as conn:
        await conn.execute(text("SELECT 1"))
    return await client.get("/v1/plans/1", cache=False)


def test_a_peer_get_inside_a_transaction_is_refused_before_it_is_sent():
    with pytest.raises(PeerCallInTransaction, match="GET /v1/plans/1 to tasks_api while a database transaction"):
        _run(_get_inside_transaction)


def test_a_peer_post_while_a_read_connection_is_held_is_refused():
    with pytest.raises(PeerCallInTransaction, match="while a database read connection is open"):
        _run(_post_inside_read)


def test_a_peer_call_after_the_connections_are_returned_goes_through():
    result, calls = _run(_get_after_transaction)
    assert (result, calls) == ({"ok": True}, 1)


def test_a_cached_answer_is_refused_inside_a_transaction_too():
    async def cached_then_inside(database: Database, client: ServiceClient) -> Any:
        await client.get("/v1/plans/1")  # fills the cache
        async with database.transaction():
            return await client.get("/v1/plans/1")

    with pytest.raises(PeerCallInTransaction):
        _run(cached_then_inside)


def test_outside_tests_the_call_is_logged_and_still_made(caplog):
    with caplog.at_level(logging.ERROR, logger="duban.peers"):
        result, calls = _run(_get_inside_transaction, strict=False)
    assert (result, calls) == ({"ok": True}, 1)
    assert "GET /v1/plans/1 to tasks_api while a database transaction is open" in caplog.text


def test_only_the_test_environment_refuses():
    assert strict_in(ReportingSettings(environment="test"))
    assert not strict_in(ReportingSettings(environment="development"))
