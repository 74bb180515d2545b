"""The CPU time one list page costs through the service's whole ASGI stack and through the raw baseline's, in µs.

`python -m bench.list_cost --prefix lists_bench` calls tasks_api's and reporting_api's ASGI apps and the raw
baseline's (bench/baseline.py) in one process, taking turns with the same requests (those of the list figures,
bench/reads.list_runs), against a bench data set already loaded (`python -m bench.run` loads it). CPU time, not
wall time: the machine may be shared, and the database's own work is in another process either way. The ratio of
the two is roughly what limits the wrk figures on a machine whose cores the database shares.

    python -m bench.list_cost --prefix lists_bench --requests 2000
    python -m bench.list_cost --prefix lists_bench --profile var/bench/list_cost.prof   # cProfile of the service side
    python -m bench.list_cost --prefix lists_bench --layers   # and where the service's time goes, layer by layer

With `--layers` each service request is also timed entered below the middleware (the app's router, with the scope
as the middleware left it: the caller resolved) and at its route (the route's own handler: parameters, endpoint,
read, encoding): the differences are what the middleware and the routing cost.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from bench import baseline, reads
from bench.generate import ADMIN_DSN, Target
from services.common import loops
from services.common.auth import mint_token
from services.reporting_api.app import create_app as create_reporting
from services.reporting_api.settings import ReportingSettings
from services.tasks_api.app import create_app as create_tasks
from services.tasks_api.settings import TasksSettings

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


@asynccontextmanager
async def serving(app: App) -> AsyncIterator[App]:
    """The app with its lifespan started (as uvicorn starts it) for the block."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    task = asyncio.ensure_future(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)
    )
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"start-up failed: {started}")
    try:
        yield app
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task


def request_scope(url: str, headers: dict[str, str]) -> dict[str, Any]:
    """The scope uvicorn hands an app for GET `url`."""
    parts = urlsplit(url)
    raw = [(b"host", parts.netloc.encode()), (b"user-agent", b"wrk"), (b"accept", b"*/*")]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", parts.port or 80),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "headers": raw,
        "state": {},
    }


async def call(app: App, url: str, headers: dict[str, str]) -> int:
    """One request through `app`; its status."""
    return await call_scope(app, request_scope(url, headers))


async def call_scope(app: App, scope: dict[str, Any]) -> int:
    """One request with this scope; its status."""
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def cpu_per_request(
    app: App, url: str, headers: dict[str, str], n: int, profile: cProfile.Profile | None
) -> float:
    """µs of CPU per request over `n` requests."""
    if profile is not None:
        profile.enable()
    started = time.process_time()
    for _ in range(n):
        status = await call(app, url, headers)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
    spent = time.process_time() - started
    if profile is not None:
        profile.disable()
    return spent / n * 1e6


# What routing adds to a request's scope: taken out again to enter at the router with the scope the middleware left.
_ROUTED = ("route", "endpoint", "router", "fastapi", "path_params", "duban.route_match")


async def layer_costs(app: App, url: str, headers: dict[str, str], n: int, rounds: int) -> dict[str, float]:
    """Median CPU µs of a request entered at the app, at its router (below the middleware) and at its route."""
    routed = request_scope(url, headers)
    await call_scope(app, routed)  # the scope as the app left it: the caller in its state, the route it took
    below = {key: value for key, value in routed.items() if key not in _ROUTED}
    fresh, route = request_scope(url, headers), routed["route"]
    entries = {  # each entry copies its scope alike
        "app": lambda: call_scope(app, {**fresh, "state": {}}),
        "router": lambda: call_scope(routed["router"], dict(below)),
        "route": lambda: call_scope(route.handle, dict(routed)),
    }
    for name, enter in entries.items():
        if (status := await enter()) != 200:
            raise RuntimeError(f"{url} entered at its {name} answered {status}")
    spent: dict[str, list[float]] = {name: [] for name in entries}
    for _ in range(rounds):
        for name, enter in entries.items():
            started = time.process_time()
            for _ in range(n):
                await enter()
            spent[name].append((time.process_time() - started) / n * 1e6)
    return {name: statistics.median(values) for name, values in spent.items()}


async def measure(
    target: Target, n: int, rounds: int, profile: cProfile.Profile | None, only: list[str], layers: bool = False
) -> None:
    os.environ["BENCH_TASKS_DSN"], os.environ["BENCH_REPORTING_DSN"] = (
        target.dsn("tasks_api"),
        target.dsn("reporting_api"),
    )
    subjects = await reads.find_subjects(target)
    tasks_settings = TasksSettings(environment="test", database_url=target.url("tasks_api"))
    reporting_settings = ReportingSettings(environment="test", database_url=target.url("reporting_api"))
    headers = {"Authorization": f"Bearer {mint_token(tasks_settings, role='office', subject='bench')}"}
    stack: tuple[AbstractAsyncContextManager[App], ...] = (
        serving(create_tasks(tasks_settings)),
        serving(create_reporting(reporting_settings)),
        serving(baseline.Baseline()),
    )
    async with stack[0] as tasks, stack[1] as reporting, stack[2] as raw:
        urls = reads.list_runs("http://tasks", "http://reporting", "http://raw", subjects)
        for name, (url, raw_url) in urls.items():
            if only and name not in only:
                continue
            service = tasks if name.startswith("items") else reporting
            await call(service, url, headers), await call(raw, raw_url, {})  # warm: statements prepared
            spent = [
                (
                    await cpu_per_request(service, url, headers, n, profile),
                    await cpu_per_request(raw, raw_url, {}, n, None),
                )
                for _ in range(rounds)
            ]
            ours, theirs = statistics.median(s for s, _ in spent), statistics.median(r for _, r in spent)
            ratio = statistics.median(s / r for s, r in spent)
            print(f"{name:30} service {ours:6.0f} µs   raw {theirs:6.0f} µs   median ratio {ratio:4.2f}×", flush=True)
            if layers:
                cost = await layer_costs(service, url, headers, n, rounds)
                print(
                    f"{'':30} middleware {cost['app'] - cost['router']:4.0f} µs   routing "
                    f"{cost['router'] - cost['route']:4.0f} µs   route {cost['route']:4.0f} µs",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prefix", default="bench")
    parser.add_argument("--admin-dsn", default=ADMIN_DSN)
    parser.add_argument("--requests", type=int, default=100, help="requests per round and side")
    parser.add_argument("--rounds", type=int, default=30, help="rounds taking turns; the medians are shown")
    parser.add_argument("--profile", help="write a cProfile of the service side to this file")
    parser.add_argument("--only", action="append", default=[], help="a list figure's name (repeatable)")
    parser.add_argument("--layers", action="store_true", help="also the middleware's, routing's and route's shares")
    args = parser.parse_args()
    profile = cProfile.Profile(time.process_time) if args.profile else None  # CPU, as the figures
    target = Target(args.prefix, args.admin_dsn)
    loops.run(measure(target, args.requests, args.rounds, profile, args.only, args.layers))  # as the services
    if profile is not None:
        profile.dump_stats(args.profile)


if __name__ == "__main__":
    main()
