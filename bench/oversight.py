"""Roll-up and compliance, each timed three ways (issue 15), against hand SQL run the way the service runs it.

- cold: the first request for a plan, nothing cached: a plan no figure asked for before (plans 3 … at full scale),
  or, when the data set has too few plans, the first request after reporting_api restarts;
- recomputed: the answer not cached, the plan's data from tasks_api cached (the peer cache, 30 s fresh, then
  revalidated: services/common/http.py). The roll-up's answer is kept per (plan, period, grouping, as_of) with its
  inputs (oversight/memo.py): each sample asks with a new `as_of` a day later than the last, a day after every
  measurement of the data set, so every sample computes the same answer anew (its lights, counts and rows); since
  2026-12-07 what the lights and counts derive from the period's rows (parsed and folded) is kept for the period
  while the database answers the same texts, as for a roll-up of the same period by another grouping, so a sample
  reads and compares the rows but does not parse them again. Compliance keeps no first page, and each sample asks
  with a new `as_of` too (since 2026-12-07 10:40 UTC; before, the same request each time); since then the period's
  reports parsed, and their counts by state for the plan's owed pairs, are kept while the texts read the same
  (oversight/filed.period_filed), so a sample reads and compares the reports, then computes the summary (lateness
  and overdue as of its day) and builds and encodes the page anew;
- cached: the roll-up asked again with the same as_of (its rows still read, the answer reused); compliance's next
  page of a walk (oversight/walks.py keeps the view for the pages that follow).

The hand SQL (`HandSQL`) is the service's own statements, compiled from its SQLAlchemy statements, run through
asyncpg with the services' session settings and pool release, as the service runs them: the roll-up's four reads
(compliance's one, the period's reports as a row of texts, one a column: oversight/filed.py; until 2026-12-07 a
record each, as the service read them) side by side on connections of their own while the period view's three
small reads (the plan's rules, due-date overrides and cadences: periods/rhythm_reads.py) run one after the other,
each on a connection taken from the pool for it, as the service's driver pool runs them (oversight/inputs.py
read_period_view); for compliance a fourth read follows them in turn, the period's instruction duties
(instructions/owed.py), which the service lists beside the reports (until 2026-12-04 the baseline skipped it, a read
the service does). What it does not do, and the service does: read the plan from tasks_api (cold: tasks_api reads
and encodes the structure, reporting_api parses it and derives its shape; afterwards a conditional request, or
nothing while the peer cache is fresh), check the token, compute the rules, encode the answer and send it over HTTP
(to a client as thin as wrk: http.client, bench/caller.py; until 2026-12-07 httpx, ~0.6 ms more a sample).
So a cold figure compares the service's first request with the same SQL on a warm pool: the baseline is what the
database alone needs, not a cold hand-written stack.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import asyncpg
import orjson
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from bench.caller import Caller
from bench.figures import Figure, at_most, capped
from bench.generate import Target
from bench.load import percentile
from bench.processes import Stack
from bench.profiles import Profiler
from bench.reads import PAGE, PERIOD, Subjects
from services.common import clock, loops
from services.common.driver_pool import SESSION, FairPool, keep_session
from services.common.driver_reads import Read, driver_statement
from services.reporting_api.instructions.owed import period_duties_read
from services.reporting_api.oversight.filed import filed_columns_read
from services.reporting_api.oversight.filed_counts import filed_texts_read
from services.reporting_api.oversight.repository import light_reads
from services.reporting_api.oversight.rollups import FILED_KEY
from services.reporting_api.periods.rhythm_reads import rhythm_reads

COLD_MS, RATIO = 200, 1.3  # issue 15: cold ≤ 200 ms; recomputed ≤ 1.3× hand SQL (cached: held to the same ratio)
COLD_SAMPLES = 5
DIALECT = PGDialect_asyncpg()


def _compiled(read: Read) -> tuple[Any, ...]:
    return driver_statement(DIALECT, read)


class HandSQL:
    """The statements of a roll-up and of compliance on an asyncpg pool, one blocking call per sample."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def __enter__(self) -> HandSQL:
        self.loop = loops.loop_factory()()  # the loop the service answers on
        self.pool = self.loop.run_until_complete(self._pool())
        return self

    async def _pool(self) -> FairPool:
        # Created inside the loop: asyncpg's Pool takes the running loop when it is built.
        return FairPool(await asyncpg.create_pool(self.dsn, min_size=5, max_size=5, reset=keep_session, **SESSION))

    def __exit__(self, *_: object) -> None:
        self.loop.run_until_complete(self.pool.close())
        self.loop.close()

    def rollup(self, plan_id: int, today: date) -> None:
        reads = [
            filed_texts_read(plan_id, PERIOD, FILED_KEY["unit"]),
            *light_reads(plan_id, PERIOD, today, states_only=True),
        ]
        self.loop.run_until_complete(self._beside(rhythm_reads(plan_id), reads))

    def compliance(self, plan_id: int) -> None:
        # In turn after the period view's three, as the service reads it: the period's instruction duties.
        in_turn = [*rhythm_reads(plan_id), period_duties_read(plan_id, PERIOD, unit_id=None)]
        self.loop.run_until_complete(self._beside(in_turn, [filed_columns_read(plan_id, PERIOD)]))

    async def _beside(self, in_turn: list[Read], beside: list[Read]) -> None:
        """`beside` side by side, each on a connection of its own, while `in_turn` run one after the other."""
        await asyncio.gather(self._in_turn(in_turn), *(self._fetch(read) for read in beside))

    async def _fetch(self, read: Read) -> None:
        async with self.pool.acquire() as conn:
            await conn.fetch(*_compiled(read))

    async def _in_turn(self, reads: list[Read]) -> None:
        for read in reads:  # each on a connection taken from the pool for it, as the service's driver pool does
            await self._fetch(read)


def _ms(call: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    call(*args)
    return (time.perf_counter() - started) * 1000


def alternating_ms(calls: list[Callable[[int], object]], times: int) -> list[list[float]]:
    """Each call's durations in milliseconds (called with the sample's number), the calls taking turns: the series
    compared in a ratio see the same moments of the machine (an autovacuum, a checkpoint)."""
    found: list[list[float]] = [[] for _ in calls]
    for n in range(times):
        for call, durations in zip(calls, found, strict=True):
            durations.append(_ms(call, n))
    return found


class Requests:
    """The two requests, as a client of reporting_api sends them (through bench/caller.py: http.client; httpx until
    2026-12-07, whose own work added ~0.6 ms to each sample)."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller

    def rollup(self, plan_id: int, as_of: date | None = None) -> None:
        params = {"period": PERIOD, "by": "unit", **({"as_of": as_of.isoformat()} if as_of else {})}
        self.caller.get(f"/v1/plans/{plan_id}/rollups", params)

    def compliance(self, plan_id: int, cursor: str | None = None, as_of: date | None = None) -> None:
        # Not parsed, as the roll-up's answer is not (until 2026-12-07 each sample parsed its page, ~0.1 ms of the
        # client's, for a cursor only the walk uses).
        self._compliance(plan_id, cursor, as_of)

    def next_cursor(self, plan_id: int) -> str | None:
        """The cursor of compliance's second page (None when the first is the only one)."""
        return orjson.loads(self._compliance(plan_id, None, None)).get("next_cursor")

    def _compliance(self, plan_id: int, cursor: str | None, as_of: date | None) -> bytes:
        params = {"period": PERIOD, "limit": PAGE, **({"cursor": cursor} if cursor else {})}
        params |= {"as_of": as_of.isoformat()} if as_of else {}
        return self.caller.get(f"/v1/plans/{plan_id}/compliance", params)


def cold_figures(stack: Stack, s: Subjects, headers: dict[str, str], hand: HandSQL, samples: int) -> list[Figure]:
    """The first request for a plan: unasked plans while there are any, else the first after a restart."""
    unasked = [p for p in s.plan_ids if p not in (s.plan_id, s.typical_plan_id)]
    times: dict[str, list[float]] = {"rollup": [], "compliance": [], "sql": []}
    restarts = 0
    for n in range(samples):
        plans = unasked[2 * n : 2 * n + 2]
        if len(plans) < 2:  # too few plans: the typical plan, reporting_api restarted before each request
            plans = [s.typical_plan_id, s.typical_plan_id]
        for plan_id, kind in zip(plans, ("rollup", "compliance"), strict=True):
            if plan_id == s.typical_plan_id:
                stack.reporting.restart()
                restarts += 1
            with Caller(stack.reporting.url, headers, timeout=600) as caller:
                ask = Requests(caller)
                times[kind].append(_ms(getattr(ask, kind), plan_id))
        times["sql"].append(_ms(hand.rollup, plans[0], clock.business_today()))
    how = f"{restarts} restarts of reporting_api" if restarts else f"{2 * samples} plans not asked before"
    note = f"p50 of {samples} ({how}); baseline: the roll-up's hand SQL, p50"
    sql = percentile(times["sql"], 50)
    return [
        capped(f"{name}, cold: first request", percentile(times[kind], 50), "ms", COLD_MS, baseline=sql, note=note)
        for name, kind in (("roll-up by unit", "rollup"), ("compliance", "compliance"))
    ]


def oversight_figures(
    stack: Stack, target: Target, s: Subjects, headers: dict[str, str], samples: int, profiler: Profiler
) -> list[Figure]:
    """Cold first (before anything asks for the plans it uses), then recomputed and cached on the typical plan."""
    plan_id, today = s.typical_plan_id, clock.business_today()
    with HandSQL(target.dsn("reporting_api")) as hand:
        with profiler.record("roll-up and compliance, cold", {"reporting_api": stack.reporting.pid}):
            figures = cold_figures(stack, s, headers, hand, min(samples, COLD_SAMPLES))
        reporting = {"reporting_api": stack.reporting.pid}
        with Caller(stack.reporting.url, headers, timeout=600) as caller:
            ask = Requests(caller)
            ask.rollup(plan_id), ask.compliance(plan_id)  # the plan's data from tasks_api now in the peer cache

            def later(n: int) -> date:  # a new as_of per sample, after every measurement: the same work each time
                return today + timedelta(days=n + 1)

            with profiler.record("roll-up by unit, recomputed", reporting):
                rollup = alternating_ms(
                    [lambda n: ask.rollup(plan_id, later(n)), lambda n: hand.rollup(plan_id, later(n))], samples
                )
            ask.rollup(plan_id)  # the memo kept the recomputed ones meanwhile (it keeps the last few)
            with profiler.record("roll-up by unit, cached", reporting):
                rollup_cached = alternating_ms(
                    [lambda n: ask.rollup(plan_id), lambda n: hand.rollup(plan_id, today)], samples
                )
            with profiler.record("compliance, recomputed", reporting):
                compliance = alternating_ms(
                    [lambda n: ask.compliance(plan_id, as_of=later(n)), lambda n: hand.compliance(plan_id)], samples
                )
            cursor = ask.next_cursor(plan_id)
            with profiler.record("compliance, cached next page", reporting):
                walked = alternating_ms(
                    [lambda n: ask.compliance(plan_id, cursor), lambda n: hand.compliance(plan_id)], samples
                )
    note = "plan 2; baseline: hand SQL p95, timed in turn with it"
    return [
        figures[0],
        _vs_hand("roll-up by unit, recomputed: p95", rollup, note + "; a new as_of each sample"),
        _vs_hand("roll-up by unit, cached: p95", rollup_cached, note),
        figures[1],
        _vs_hand("compliance, recomputed: p95", compliance, note + "; first page of 50, a new as_of each sample"),
        _vs_hand("compliance, cached next page: p95", walked, note + ("" if cursor else "; one page only: recomputed")),
    ]


def _vs_hand(name: str, series: list[list[float]], note: str) -> Figure:
    service, hand = series
    return at_most(name, percentile(service, 95), "ms", RATIO, baseline=percentile(hand, 95), note=note)
