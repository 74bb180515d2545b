"""Faults between a service and its peers or its database, and the checks every fault test makes of the answer.

FaultyTransport sits in front of a real peer and, while a fault is set, refuses the connection, times
out, answers too slowly, fails with 500 or garbles its JSON. DatabaseBreaker drops the database connection
in the middle of a write. The helpers say what "the caller survives" means: a 503/504 problem within the
budget, with Retry-After, and nothing written.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
from sqlalchemy import MetaData, event, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.util import await_only

from tests.databases import BACKEND, PG_DSN

# Faults a peer shows at once: refused connection, timeout, a 500, broken JSON, and JSON outside the contract.
# Every operation is tested with each.
PEER_FAULTS = ("refuse", "timeout", "error", "garble", "mismatch")
# Faults that take time: an answer slower than the call's timeout, and a peer that never finishes answering (say
# it trickles a byte at a time, so no read timeout fires: only the request's budget stops it). They run through
# the same client code as "timeout", so a sample of operations is tested with them, for the time they take.
SLOW_FAULTS = ("slow", "hang")
# Every answer in time, but together past the budget: an operation that asks several times must still stop.
SLUGGISH = "sluggish"


def faults_here(faults: tuple[str, ...]) -> tuple[str, ...]:
    """The faults of `faults` each operation is tested with on this suite's database. On PostgreSQL, a refused
    connection and a hung peer: every fault fails the call the same way before the service writes (the client raises
    PeerError; a service reads its peers before it opens a transaction), so the database's part, nothing written,
    is shown once per operation, and once where only the budget ends the wait. Telling the kinds of fault apart is
    the client's work, the same on either database: the SQLite suite tries every kind (the PostgreSQL suite did too,
    for 4 minutes of a CI run that must stay under 20 on a slow machine)."""
    return faults if BACKEND != "postgresql" else tuple(fault for fault in faults if fault in ("refuse", "hang"))


# A per-call timeout and a budget that healthy peers meet on a busy machine (PostgreSQL, the suite running beside
# them in the same process, no cache: closing a period asks tasks_api dozens of times); a slow peer costs a test
# the budget. On a CI machine three times slower than a laptop, with the suite on both cores, the slowest such test
# (two snapshots of the database, the call refused, the call again once the peer is back) took 1.0 s in all: four
# times that is room enough, and each slow or hung peer costs its test 4 s, not the 8 s these limits were before.
PEER_LIMITS = {"peer_timeout_seconds": 2.0, "peer_budget_seconds": 4.0, "peer_cache_seconds": 0.0}

# Room for the test client and the app around the budget; a hung worker would take HANG_SECONDS.
BUDGET_SLACK_SECONDS = 2.0
HANG_SECONDS = 60.0


class FaultyTransport(httpx.AsyncBaseTransport):
    """Forwards to the real peer unless a fault of PEER_FAULTS, SLOW_FAULTS or SLUGGISH is set."""

    def __init__(self, sluggish_seconds: float = 2.0) -> None:  # three answers in a row: past budget and slack
        self.fault: str | None = None
        self.calls = 0
        self._sluggish_seconds = sluggish_seconds
        self._real = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.fault == "refuse":
            raise httpx.ConnectError("connection refused", request=request)
        if self.fault == "timeout":
            raise httpx.ReadTimeout("timed out waiting for the peer", request=request)
        if self.fault == "slow":
            # What a socket does when the answer is late: the client's read timeout fires.
            await asyncio.sleep(request.extensions["timeout"]["read"])
            raise httpx.ReadTimeout("the peer answered too slowly", request=request)
        if self.fault in ("hang", SLUGGISH):
            await asyncio.sleep(HANG_SECONDS if self.fault == "hang" else self._sluggish_seconds)
        if self.fault == "error":
            return httpx.Response(500, json={"title": "boom"}, request=request)
        if self.fault == "garble":
            return httpx.Response(
                200, content=b'{"id": 1, "plan', headers={"content-type": "application/json"}, request=request
            )
        if self.fault == "mismatch":  # a page whose rows, and a record whose fields, are not what the contract says
            return httpx.Response(200, json={"data": [{"unexpected": True}], "next_cursor": None}, request=request)
        return await self._real.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the connections to the real peer; the transport serves the next app (a module's tests share one,
        each on an app reused from the one before: tests/apps.py) with new ones, on that app's own event loop. The
        fault stays as it is: each test's fixture clears it when the test starts."""
        await self._real.aclose()
        self._real = httpx.AsyncHTTPTransport()


def call_timed(send: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    """The response to `send()` and the seconds it took."""
    started = time.monotonic()
    response = send()
    return response, time.monotonic() - started


def assert_unavailable(response: httpx.Response) -> None:
    """A 503/504 problem document that says when to retry."""
    assert response.status_code in (503, 504), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == response.status_code
    assert int(response.headers["retry-after"]) > 0


def assert_peer_unavailable(response: httpx.Response, peer: str) -> None:
    """A 503/504 problem document that names the peer and says when to retry."""
    assert_unavailable(response)
    assert peer in response.json()["detail"]


def assert_within_budget(elapsed: float, budget: float) -> None:
    """The caller answered within its peer budget (plus the slack of the test client), never hung."""
    assert elapsed < budget + BUDGET_SLACK_SECONDS, f"answered after {elapsed:.1f}s, budget {budget}s"


def snapshot(url: str, metadata: MetaData) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a service's database, in a comparable form."""

    async def read() -> dict[str, list[tuple[Any, ...]]]:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                return {
                    table.name: sorted(tuple(map(repr, row)) for row in await conn.execute(select(table)))
                    for table in metadata.sorted_tables
                }
        finally:
            await engine.dispose()

    return asyncio.run(read())


def operations_depending_on(app: Any, dependency: Callable[..., Any]) -> set[str]:
    """The operationIds of the app's routes that use `dependency`, directly or through other dependencies."""

    def uses(dependant: Any) -> bool:
        return any(d.call is dependency or uses(d) for d in dependant.dependencies)

    return {route.name for route in _api_routes(app.routes) if uses(route.dependant)}


def _api_routes(routes: list[Any]) -> list[Any]:
    # FastAPI keeps an included router as one entry holding the router's own routes.
    found = []
    for route in routes:
        if hasattr(route, "original_router"):
            found += _api_routes(route.original_router.routes)
        elif hasattr(route, "dependant"):
            found.append(route)
    return found


def dependency_of(alias: Any) -> Callable[..., Any]:
    """The callable behind an `Annotated[T, Depends(f)]` alias such as TasksDep."""
    return next(m.dependency for m in alias.__metadata__ if hasattr(m, "dependency"))


@dataclass(frozen=True)
class PeerCall:
    """A request that makes a service ask its peer, the status it answers when the peer is up, and what must
    exist first (made while the peer is up)."""

    send: Callable[[Any], httpx.Response]
    recovered_status: int
    prepare: Callable[[Any], None] | None = None


def check_survives_peer_fault(
    call: PeerCall,
    scene: Any,
    faulty: FaultyTransport,
    fault: str,
    *,
    peer: str,
    budget: float,
    database_url: str,
    metadata: MetaData,
) -> None:
    """The call answers 503/504 in budget while the peer fails, writes nothing, and succeeds once it is back."""
    if call.prepare:
        call.prepare(scene)
    before = snapshot(database_url, metadata)
    faulty.fault = fault
    response, elapsed = call_timed(lambda: call.send(scene))
    faulty.fault = None
    assert_peer_unavailable(response, peer)
    assert_within_budget(elapsed, budget)
    assert snapshot(database_url, metadata) == before
    recovered = call.send(scene)
    assert recovered.status_code == call.recovered_status, recovered.text


def check_ends_within_budget(call: PeerCall, scene: Any, faulty: FaultyTransport, *, budget: float) -> None:
    """With a sluggish peer the call ends within the budget, as a 503 or (if the answers fit) a success."""
    if call.prepare:
        call.prepare(scene)
    faulty.fault = SLUGGISH
    response, elapsed = call_timed(lambda: call.send(scene))
    faulty.fault = None
    assert_within_budget(elapsed, budget)
    assert response.status_code in (call.recovered_status, 503), response.text


class DatabaseBreaker:
    """Breaks a service's database in the middle of a request: at the `at`-th INSERT after `arm()`.

    On PostgreSQL the connection's server process is terminated from another connection (as a restart or a
    failover would), and the INSERT then meets a dead connection. On SQLite the INSERT fails as a database locked
    by another writer past the busy timeout does."""

    def __init__(self, engine: AsyncEngine, *, at: int = 2) -> None:
        self._engine, self._at, self._seen = engine, at, None
        self.broke = False
        for name in ("do_execute", "do_executemany"):
            event.listen(engine.sync_engine, name, self._before_execute)

    def arm(self) -> None:
        self._seen, self.broke = 0, False

    def _before_execute(self, cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        if self._seen is None or not statement.lstrip().upper().startswith("INSERT"):
            return False
        self._seen += 1
        if self._seen == self._at:
            self._seen, self.broke = None, True
            if self._engine.dialect.name == "sqlite":
                raise self._engine.dialect.dbapi.OperationalError("database is locked")
            await_only(_terminate_backend(context.root_connection.connection.dbapi_connection))
        return False  # let SQLAlchemy run the statement itself


async def _terminate_backend(dbapi_connection: Any) -> None:
    admin = await asyncpg.connect(PG_DSN)
    try:  # waits up to 5 s for the server process to be gone
        await admin.execute("SELECT pg_terminate_backend($1, 5000)", dbapi_connection._connection.get_server_pid())
    finally:
        await admin.close()


def check_write_survives_database_break(
    send: Callable[[], httpx.Response],
    breaker: DatabaseBreaker,
    *,
    recovered_status: int,
    database_url: str,
    metadata: MetaData,
) -> None:
    """A write whose database connection breaks half-way answers 503, leaves no row behind, and goes through
    when sent again."""
    before = snapshot(database_url, metadata)
    breaker.arm()
    response = send()
    assert breaker.broke, "the request wrote less than the breaker waited for"
    assert_unavailable(response)
    assert snapshot(database_url, metadata) == before
    recovered = send()
    assert recovered.status_code == recovered_status, recovered.text
